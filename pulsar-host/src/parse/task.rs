//! `/proc/<pid>/stat` and `/proc/<pid>/task/<tid>/stat`: one process or thread.

use pulsar_core::proto::v1::TaskState;

use super::Malformed;

/// `PF_KTHREAD` in the `flags` column: the task is a kernel thread.
const PF_KTHREAD: u64 = 0x0020_0000;

/// The columns of a task's `stat` line that Pulsar uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskStat<'a> {
    pub(crate) pid: u32,
    /// The command name as the kernel keeps it (at most 15 bytes for user tasks; may hold
    /// spaces, parentheses and even newlines).
    pub(crate) comm: &'a str,
    /// The one-letter state (`R`, `S`, `D`, `T`, `t`, `Z`, `X`, `I`, ...).
    pub(crate) state: u8,
    pub(crate) ppid: u32,
    pub(crate) kernel_thread: bool,
    /// User plus system CPU time in clock ticks; for a process, summed over all its threads.
    pub(crate) cpu_ticks: u64,
    pub(crate) num_threads: u32,
    /// Start time in clock ticks after boot: tells a reused PID from the process seen before.
    pub(crate) start_ticks: u64,
    pub(crate) rss_pages: u64,
}

/// Parses a whole `stat` line.
///
/// The command name sits between the first `(` and the *last* `)`: a program can name itself
/// `a) R 1 (b`, and only the last parenthesis is the kernel's.
pub(crate) fn parse_task_stat(text: &str) -> Result<TaskStat<'_>, Malformed> {
    let open = text
        .find('(')
        .ok_or(Malformed("no `(` before the command name"))?;
    let close = text
        .rfind(')')
        .ok_or(Malformed("no `)` after the command name"))?;
    if close < open {
        return Err(Malformed("`)` before `(`"));
    }
    let pid = text[..open]
        .trim()
        .parse()
        .map_err(|_| Malformed("a non-numeric pid"))?;
    let comm = &text[open + 1..close];
    // After the name, columns 3.. of proc(5), separated by single spaces.
    let mut columns = text[close + 1..].split_ascii_whitespace();
    let state = columns
        .next()
        .and_then(|s| s.bytes().next())
        .ok_or(Malformed("no state after the command name"))?;
    // Columns 4 (ppid) to 24 (rss) of proc(5); index i holds column i + 4.
    let mut wanted = [0u64; 21];
    let mut seen = 0;
    for (slot, word) in wanted.iter_mut().zip(columns) {
        // Some columns are signed (tpgid, priority, nice); none Pulsar reads is negative
        // on a sane kernel, so a negative value reads as 0.
        *slot = match word.parse::<u64>() {
            Ok(n) => n,
            Err(_) if word.starts_with('-') && word[1..].parse::<u64>().is_ok() => 0,
            Err(_) => return Err(Malformed("a non-numeric column")),
        };
        seen += 1;
    }
    if seen < wanted.len() {
        return Err(Malformed("fewer columns than proc(5) documents"));
    }
    let column = |n: usize| wanted[n - 4];
    Ok(TaskStat {
        pid,
        comm,
        state,
        ppid: u32::try_from(column(4)).unwrap_or(0),
        kernel_thread: column(9) & PF_KTHREAD != 0,
        cpu_ticks: column(14).saturating_add(column(15)),
        num_threads: u32::try_from(column(20)).unwrap_or(u32::MAX),
        start_ticks: column(22),
        rss_pages: column(24),
    })
}

/// Only the state letter: the cheap path for threads, where nothing else is needed.
pub(crate) fn parse_task_state(text: &str) -> Result<u8, Malformed> {
    let close = text
        .rfind(')')
        .ok_or(Malformed("no `)` after the command name"))?;
    text[close + 1..]
        .bytes()
        .find(|b| !b.is_ascii_whitespace())
        .ok_or(Malformed("no state after the command name"))
}

/// The kernel's state letter as the schema's enum; letters this version does not know
/// (`W`, `P`, `K`, ...) are `Unspecified` and counted as "other".
pub(crate) fn task_state_from_letter(letter: u8) -> TaskState {
    match letter {
        b'R' => TaskState::Running,
        b'S' => TaskState::Sleeping,
        b'D' => TaskState::DiskSleep,
        b'T' => TaskState::Stopped,
        b't' => TaskState::TracingStop,
        b'Z' => TaskState::Zombie,
        b'I' => TaskState::Idle,
        // 'x' is how kernels 2.6.33 to 3.13 printed a dead task.
        b'X' | b'x' => TaskState::Dead,
        _ => TaskState::Unspecified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAT: &str = "17974 (cat) R 17969 17969 12043 0 -1 4194304 101 0 0 0 3 2 0 0 20 0 1 0 81914 3133440 415 18446744073709551615 94618768646144 94618768666025 140722527057056 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94618768682032 94618768683648 94619407319040 140722527062754 140722527062774 140722527062774 140722527064043 0\n";

    fn with_comm_and_state(comm: &str, state: char) -> String {
        format!(
            "4242 ({comm}) {state} 1 4242 4242 0 -1 4194560 120 0 0 0 250 50 0 0 20 0 7 0 5000 10485760 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
        )
    }

    #[test]
    fn reads_the_columns_pulsar_uses() {
        let stat = parse_task_stat(CAT).unwrap();
        assert_eq!(stat.pid, 17974);
        assert_eq!(stat.comm, "cat");
        assert_eq!(stat.state, b'R');
        assert_eq!(stat.ppid, 17969);
        assert!(!stat.kernel_thread);
        assert_eq!(stat.cpu_ticks, 5);
        assert_eq!(stat.num_threads, 1);
        assert_eq!(stat.start_ticks, 81914);
        assert_eq!(stat.rss_pages, 415);
    }

    #[test]
    fn a_comm_with_spaces_and_parentheses_ends_at_the_last_parenthesis() {
        let text = with_comm_and_state("my (odd) ) R 1 (name", 'S');
        let stat = parse_task_stat(&text).unwrap();
        assert_eq!(stat.comm, "my (odd) ) R 1 (name");
        assert_eq!(stat.state, b'S');
        assert_eq!(stat.num_threads, 7);
        assert_eq!(stat.cpu_ticks, 300);
        assert_eq!(stat.rss_pages, 2560);
        assert_eq!(parse_task_state(&text), Ok(b'S'));
    }

    #[test]
    fn a_comm_with_a_newline_still_parses() {
        let text = with_comm_and_state("two\nlines", 'R');
        let stat = parse_task_stat(&text).unwrap();
        assert_eq!(stat.comm, "two\nlines");
        assert_eq!(stat.state, b'R');
        assert_eq!(parse_task_state(&text), Ok(b'R'));
    }

    #[test]
    fn a_zombie_has_state_z_and_no_memory() {
        let text = "31337 (defunct-child) Z 4242 31337 4242 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 9000 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        let stat = parse_task_stat(text).unwrap();
        assert_eq!(task_state_from_letter(stat.state), TaskState::Zombie);
        assert_eq!(stat.rss_pages, 0);
        assert_eq!(stat.ppid, 4242);
    }

    #[test]
    fn a_task_in_disk_sleep_is_d() {
        let text = with_comm_and_state("dd", 'D');
        assert_eq!(
            task_state_from_letter(parse_task_stat(&text).unwrap().state),
            TaskState::DiskSleep
        );
    }

    #[test]
    fn a_kernel_thread_is_flagged_and_idle() {
        let text = "87 (kworker/u4:2-events_unbound) I 2 0 0 0 -1 69238880 0 0 0 0 0 12 0 0 20 0 1 0 310 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        let stat = parse_task_stat(text).unwrap();
        assert!(stat.kernel_thread);
        assert_eq!(stat.comm, "kworker/u4:2-events_unbound");
        assert_eq!(task_state_from_letter(stat.state), TaskState::Idle);
        assert_eq!(stat.ppid, 2);
        let kthreadd = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        assert!(parse_task_stat(kthreadd).unwrap().kernel_thread);
    }

    #[test]
    fn a_vanished_process_reads_as_empty_or_cut_text_and_is_an_error() {
        // A task that exits between open and read yields ESRCH (handled by the reader) or,
        // in a race with the exit, nothing at all: never a panic.
        assert!(parse_task_stat("").is_err());
        assert!(parse_task_state("").is_err());
        assert!(parse_task_stat("4242 (sle").is_err());
        assert!(parse_task_stat("4242 (sleep) S 1 2 3").is_err());
        assert!(parse_task_state("4242 (sleep)").is_err());
        assert!(parse_task_stat(") 4242 (x").is_err());
    }

    #[test]
    fn unknown_letters_are_other_and_old_dead_letter_is_dead() {
        assert_eq!(task_state_from_letter(b'W'), TaskState::Unspecified);
        assert_eq!(task_state_from_letter(b'P'), TaskState::Unspecified);
        assert_eq!(task_state_from_letter(b'x'), TaskState::Dead);
        assert_eq!(task_state_from_letter(b't'), TaskState::TracingStop);
        assert_eq!(task_state_from_letter(b'T'), TaskState::Stopped);
    }
}
