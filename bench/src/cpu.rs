//! The bench's own CPU time, so a report shows how much of the machine the generator took
//! from the node during the window (Linux: user + system time from `/proc/self/stat`).

use std::time::Duration;

/// CPU time (user + system) this process has used so far; `None` off Linux.
pub(crate) fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_from_stat(&stat, ticks_per_second()?)
}

/// utime + stime of a `/proc/<pid>/stat` line. The fields after the command name (which may
/// hold spaces and parentheses) start after the last `)`; utime and stime are the 12th and
/// 13th of those (fields 14 and 15 of the whole line).
fn cpu_from_stat(stat: &str, ticks_per_second: u64) -> Option<Duration> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64((utime + stime) as f64 / ticks_per_second as f64))
}

fn ticks_per_second() -> Option<u64> {
    // SAFETY: sysconf only reads a configuration value.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).ok().filter(|t| *t > 0)
}

/// CPU used between two readings, as seconds and as a percentage of one core over `wall`.
pub(crate) fn usage(
    before: Option<Duration>,
    after: Option<Duration>,
    wall: Duration,
) -> Option<(f64, f64)> {
    let used = after?.checked_sub(before?)?.as_secs_f64();
    Some((used, 100.0 * used / wall.as_secs_f64().max(1e-9)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_stat_line_with_spaces_in_the_name() {
        let line = "4242 (rollup bench (x)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100";
        assert_eq!(cpu_from_stat(line, 100), Some(Duration::from_secs(3)));
        assert_eq!(cpu_from_stat("garbage", 100), None);
    }

    #[test]
    fn reads_this_process() {
        if cfg!(target_os = "linux") {
            assert!(process_cpu().is_some());
        }
        let (s, pct) = usage(
            Some(Duration::from_secs(1)),
            Some(Duration::from_secs(2)),
            Duration::from_secs(4),
        )
        .unwrap();
        assert_eq!((s, pct), (1.0, 25.0));
    }
}
