//! Rounding of durations for reports and exports. Stored seconds are never rounded.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Nearest,
    Up,
    Down,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nearest" => Some(Mode::Nearest),
            "up" => Some(Mode::Up),
            "down" => Some(Mode::Down),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Nearest => "nearest",
            Mode::Up => "up",
            Mode::Down => "down",
        }
    }
}

/// The minute steps an administrator can pick; 0 means no rounding.
pub const STEPS: &[i64] = &[0, 1, 5, 6, 10, 15, 30];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rounding {
    pub minutes: i64,
    pub mode: Mode,
}

impl Rounding {
    pub const NONE: Rounding = Rounding {
        minutes: 0,
        mode: Mode::Nearest,
    };

    /// Rounds one entry's seconds to the step; half a step rounds up with `nearest`.
    pub fn apply(self, seconds: i64) -> i64 {
        let step = self.minutes * 60;
        if step <= 0 || seconds <= 0 {
            return seconds.max(0);
        }
        let units = match self.mode {
            Mode::Down => seconds / step,
            Mode::Up => (seconds + step - 1) / step,
            Mode::Nearest => (seconds + step / 2) / step,
        };
        units * step
    }

    pub fn describe(self) -> String {
        if self.minutes == 0 {
            "none".into()
        } else {
            format!("{} min, {}", self.minutes, self.mode.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(minutes: i64, mode: Mode) -> Rounding {
        Rounding { minutes, mode }
    }

    #[test]
    fn each_mode_rounds_to_the_step() {
        assert_eq!(r(15, Mode::Nearest).apply(7 * 60 + 29), 0);
        assert_eq!(r(15, Mode::Nearest).apply(7 * 60 + 30), 15 * 60);
        assert_eq!(r(15, Mode::Up).apply(1), 15 * 60);
        assert_eq!(r(15, Mode::Up).apply(15 * 60), 15 * 60);
        assert_eq!(r(15, Mode::Down).apply(29 * 60 + 59), 15 * 60);
        assert_eq!(r(6, Mode::Nearest).apply(9 * 60), 12 * 60);
        assert_eq!(Rounding::NONE.apply(61), 61);
    }
}
