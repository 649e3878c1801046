//! Cases: every (state, action) pair, payload checks, deadlines, colours.

use kalender::{Calendar, Date, Holiday, HolidayKind};
use layanan::case::{Action, ActionKind, Channel, Colour, Kind, Refusal, SlaSettings, Stage, State, is_overdue, transition};

/// An action of each kind with a valid payload.
fn sample(kind: ActionKind) -> Action {
    match kind {
        ActionKind::Verify => Action::Verify,
        ActionKind::Reject => Action::Reject { reason: "Bukan kewenangan pemerintah kabupaten".into() },
        ActionKind::MarkDuplicate => Action::MarkDuplicate { of: "LPR-2026-000123".into() },
        ActionKind::Disposition => Action::Disposition { agency: "dinas-pu".into() },
        ActionKind::Refer => Action::Refer { body: "PDAM".into() },
        ActionKind::Start => Action::Start,
        ActionKind::Answer => Action::Answer,
        ActionKind::AskReporter => Action::AskReporter,
        ActionKind::ReporterReplies => Action::ReporterReplies,
        ActionKind::NotResolved => Action::NotResolved,
        ActionKind::Rate => Action::Rate { stars: 4 },
        ActionKind::AutoClose => Action::AutoClose,
        ActionKind::Close => Action::Close,
        ActionKind::HandOn => Action::HandOn { to: "user-2".into() },
    }
}

/// The rule book as a table: one row per state, one column per action in
/// `ActionKind::ALL` order (verify, reject, mark_duplicate, disposition,
/// refer, start, answer, ask_reporter, reporter_replies, not_resolved, rate,
/// auto_close, close, hand_on). A state code is the next state; `!code` a refusal.
const TABLE: &str = "
received      verified          rejected          duplicate         !not_verified      !not_verified      !not_dispositioned    !not_dispositioned received           received    !not_answered !not_answered !not_answered     !not_verified     !not_dispositioned
verified      !already_verified rejected          duplicate         dispositioned      referred           !not_dispositioned    !not_dispositioned !not_dispositioned verified    !not_answered !not_answered !not_answered     !not_answered     !not_dispositioned
dispositioned !already_verified !already_verified !already_verified dispositioned      referred           in_progress           answered           in_progress        dispositioned !not_answered !not_answered !not_answered   !not_answered     dispositioned
in_progress   !already_verified !already_verified !already_verified dispositioned      referred           !already_in_progress  answered           in_progress        in_progress !not_answered !not_answered !not_answered     !not_answered     in_progress
answered      !already_verified !already_verified !already_verified !already_answered  !already_answered  !already_answered     answered           !already_answered  in_progress reopened      closed        auto_closed       closed            !already_answered
closed        !closed           !closed           !closed           !closed            !closed            !closed               !closed            !closed            !closed     reopened      closed        !closed           !closed           !closed
rejected      !final            !final            !final            !final             !final             !final                !final             !final             !final      !final        !final        !final            !final            !final
duplicate     !final            !final            !final            !final             !final             !final                !final             !final             !final      !final        !final        !final            !final            !final
referred      !referred         !referred         !referred         !referred          !referred          !referred             !referred          !referred          referred    !referred     !referred     !referred         closed            !referred
reopened      !already_verified !already_verified !already_verified dispositioned      referred           in_progress           answered           in_progress        reopened    !not_answered !not_answered !not_answered     !not_answered     reopened
auto_closed   !closed           !closed           !closed           !closed            !closed            !closed               !closed            !closed            !closed     reopened      auto_closed   !closed           !closed           !closed
";

#[test]
fn every_state_and_action_is_allowed_or_refused_as_the_table_says() {
    let rows: Vec<Vec<&str>> = TABLE.trim().lines().map(|line| line.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), State::ALL.len());
    for (row, state) in rows.iter().zip(State::ALL) {
        assert_eq!(row[0], state.code());
        assert_eq!(row.len(), 1 + ActionKind::ALL.len(), "{state}");
        for (cell, kind) in row[1..].iter().zip(ActionKind::ALL) {
            let expected = match cell.strip_prefix('!') {
                Some(refusal) => Err(Refusal::from_code(refusal).unwrap()),
                None => Ok(State::from_code(cell).unwrap()),
            };
            assert_eq!(transition(*state, &sample(*kind)), expected, "{state} + {kind}");
        }
    }
}

#[test]
fn the_lapor_flow_from_filing_to_closing() {
    let steps = [
        Action::Verify,
        Action::Disposition { agency: "dinas-pu".into() },
        Action::Start,
        Action::Answer,
        Action::NotResolved,
        Action::Start,
        Action::Answer,
        Action::Rate { stars: 5 },
    ];
    let states: Vec<State> = steps
        .iter()
        .scan(State::Received, |state, action| {
            *state = transition(*state, action).unwrap();
            Some(*state)
        })
        .collect();
    use State::*;
    assert_eq!(states, [Verified, Dispositioned, InProgress, Answered, Reopened, InProgress, Answered, Closed]);
}

#[test]
fn handing_on_within_the_agency_keeps_the_state_and_needs_a_colleague() {
    let to = || Action::HandOn { to: "user-2".into() };
    for state in [State::Dispositioned, State::InProgress, State::Reopened] {
        assert_eq!(transition(state, &to()), Ok(state), "{state}");
        // The state stays, so the deadline the state runs stays too.
        assert_eq!(transition(state, &to()).unwrap().stage(), state.stage());
    }
    assert_eq!(transition(State::InProgress, &Action::HandOn { to: " ".into() }), Err(Refusal::MissingTarget));
    // Before an agency holds it, it is the coordinator's; once answered, the reporter's turn.
    assert_eq!(transition(State::Verified, &to()), Err(Refusal::NotDispositioned));
    assert_eq!(transition(State::Answered, &to()), Err(Refusal::AlreadyAnswered));
    assert_eq!(transition(State::Closed, &to()), Err(Refusal::Closed));
    assert_eq!(ActionKind::from_code("hand_on"), Some(ActionKind::HandOn));
}

#[test]
fn closing_an_unverified_case_is_refused() {
    assert_eq!(transition(State::Received, &Action::Close), Err(Refusal::NotVerified));
    assert_eq!(Refusal::NotVerified.code(), "not_verified");
}

#[test]
fn payloads_are_checked_after_the_state() {
    let blank_reason = Action::Reject { reason: "  ".into() };
    assert_eq!(transition(State::Received, &blank_reason), Err(Refusal::MissingReason));
    assert_eq!(transition(State::Received, &Action::MarkDuplicate { of: String::new() }), Err(Refusal::MissingTarget));
    assert_eq!(transition(State::Verified, &Action::Disposition { agency: "".into() }), Err(Refusal::MissingTarget));
    assert_eq!(transition(State::Verified, &Action::Refer { body: "\t".into() }), Err(Refusal::MissingTarget));
    assert_eq!(transition(State::Answered, &Action::Rate { stars: 0 }), Err(Refusal::RatingOutOfRange));
    assert_eq!(transition(State::Answered, &Action::Rate { stars: 6 }), Err(Refusal::RatingOutOfRange));
    assert_eq!(transition(State::Answered, &Action::Rate { stars: 1 }), Ok(State::Closed));
    // The state's refusal comes first.
    assert_eq!(transition(State::Received, &Action::Rate { stars: 9 }), Err(Refusal::NotAnswered));
    assert_eq!(transition(State::Rejected, &blank_reason), Err(Refusal::Final));
}

#[test]
fn stages_and_colours_per_state() {
    use State::*;
    let table: Vec<(State, Option<Stage>, Option<Colour>)> = State::ALL.iter().map(|s| (*s, s.stage(), s.colour())).collect();
    assert_eq!(
        table,
        [
            (Received, Some(Stage::Verify), Some(Colour::Red)),
            (Verified, Some(Stage::Verify), Some(Colour::Red)),
            (Dispositioned, Some(Stage::FollowUp), Some(Colour::Red)),
            (InProgress, Some(Stage::Resolution), Some(Colour::Yellow)),
            (Answered, Some(Stage::AutoClose), Some(Colour::Blue)),
            (Closed, None, Some(Colour::Blue)),
            (Rejected, None, None),
            (Duplicate, None, None),
            (Referred, None, Some(Colour::Blue)),
            (Reopened, Some(Stage::FollowUp), Some(Colour::Red)),
            (AutoClosed, None, Some(Colour::Blue)),
        ]
    );
    let done: Vec<State> = State::ALL.iter().copied().filter(|s| s.is_done()).collect();
    assert_eq!(done, [Closed, Rejected, Duplicate, AutoClosed]);
}

fn d(text: &str) -> Date {
    text.parse().unwrap()
}

#[test]
fn deadlines_skip_weekends_and_holidays() {
    let settings = SlaSettings::default();
    assert_eq!(
        (settings.verify_working_days, settings.follow_up_working_days, settings.auto_close_working_days, settings.resolution_days),
        (3, 5, 10, 60)
    );
    let calendar = Calendar::new(); // the fixed national holidays
    // Filed Wednesday 12 August 2026: Thu 13, Fri 14, (weekend), (Mon 17 August), Tue 18.
    assert_eq!(settings.due(Stage::Verify, d("2026-08-12"), &calendar), d("2026-08-18"));
    // Dispositioned Friday 14 August: Tue 18, Wed 19, Thu 20, Fri 21, Mon 24.
    assert_eq!(settings.due(Stage::FollowUp, d("2026-08-14"), &calendar), d("2026-08-24"));
    // Answered Thursday 17 December 2026: Christmas (Fri 25) and New Year (Fri 1) do not count.
    assert_eq!(settings.due(Stage::AutoClose, d("2026-12-17"), &calendar), d("2027-01-04"));
    // Filed on a Saturday: the first working day is Monday.
    assert_eq!(settings.due(Stage::Verify, d("2026-08-22"), &calendar), d("2026-08-26"));
    // Resolution counts calendar days from the verification, weekends included.
    assert_eq!(settings.due(Stage::Resolution, d("2026-08-12"), &calendar), d("2026-10-11"));
}

#[test]
fn a_regional_day_off_moves_the_deadline() {
    let settings = SlaSettings { verify_working_days: 1, ..SlaSettings::default() };
    let mut calendar = Calendar::new();
    let plain = settings.due(Stage::Verify, d("2026-10-19"), &calendar);
    assert_eq!(plain, d("2026-10-20"));
    calendar.add(Holiday::new(d("2026-10-20"), "Hari Jadi Kabupaten (uji)", HolidayKind::Regional));
    assert_eq!(settings.due(Stage::Verify, d("2026-10-19"), &calendar), d("2026-10-21"));
}

#[test]
fn overdue_from_the_day_after_the_due_day() {
    let due = d("2026-08-18");
    assert!(!is_overdue(due, d("2026-08-17")));
    assert!(!is_overdue(due, due));
    assert!(is_overdue(due, d("2026-08-19")));
    // Late by working days: due Tuesday 18 August, seen Monday 24 (the weekend does not count).
    let calendar = Calendar::new();
    assert_eq!(Stage::FollowUp.late_by(due, d("2026-08-24"), &calendar), 4);
    assert_eq!(Stage::FollowUp.late_by(due, due, &calendar), 0);
    assert_eq!(Stage::FollowUp.late_by(due, d("2026-08-14"), &calendar), -1);
    assert_eq!(Stage::Resolution.late_by(due, d("2026-08-24"), &calendar), 6);
}

#[test]
fn codes_round_trip() {
    for state in State::ALL {
        assert_eq!(State::from_code(state.code()), Some(*state));
    }
    assert_eq!(Kind::from_code("permintaan_informasi"), Some(Kind::PermintaanInformasi));
    assert_eq!(Channel::from_code("dialog_publik"), Some(Channel::DialogPublik));
    assert_eq!(Channel::from_code("fax"), None);
    assert_eq!(serde_json::to_string(&State::AutoClosed).unwrap(), "\"auto_closed\"");
    assert_eq!(sample(ActionKind::Rate).kind(), ActionKind::Rate);
}
