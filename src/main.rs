use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    return_big_allocations_to_the_os();
    timetracker::cli::run(timetracker::cli::Cli::parse())
}

/// Each password hash needs a 19 MiB work area. glibc's adaptive mmap threshold would soon
/// serve those from its heaps and keep them after a sign-in storm (gigabytes, measured); a
/// fixed 1 MiB threshold maps and unmaps them, so memory returns to normal afterwards.
fn return_big_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called first thing, before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
