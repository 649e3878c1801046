//! The life cycle of a complaint case, after SP4N-LAPOR!'s flow.
//!
//! A report is received, verified by the coordinating admin (Diskominfo),
//! dispositioned to the responsible agency (OPD), taken in hand and answered
//! by the agency's liaison; the reporter may reply, rate the answer or say it
//! did not solve the problem (the case reopens); without a reply the case
//! closes itself after a while. Side roads: rejected (spam, out of scope),
//! duplicate of another case, referred to a body outside the regency (PDAM,
//! PLN, the province, national roads).
//!
//! [`transition`] is the whole rule book: every (state, action) pair either
//! gives the next state or a [`Refusal`] that says why not, as a stable code
//! for the message catalogue. Each open state runs one deadline ([`Stage`]);
//! [`SlaSettings::due`] computes it with the region's working-day calendar.

use kalender::{Calendar, Date};
use serde::Serialize;

codes! {
    /// The three report types of SP4N-LAPOR!.
    Kind {
        Pengaduan = "pengaduan",
        Aspirasi = "aspirasi",
        PermintaanInformasi = "permintaan_informasi",
    }
}

codes! {
    /// Where a report came in. Bojonegoro merged all of these into one queue.
    Channel {
        Web = "web",
        Sms = "sms",
        Whatsapp = "whatsapp",
        /// Raised at the regent's weekly Friday *Dialog Publik*.
        DialogPublik = "dialog_publik",
        Radio = "radio",
        /// Imported from the national SP4N-LAPOR! system.
        Lapor = "lapor",
        /// Filed by an Open311 GeoReport v2 client.
        Open311 = "open311",
        Email = "email",
        Telepon = "telepon",
        /// In person at a service counter.
        Loket = "loket",
    }
}

codes! {
    /// Where a case stands.
    State {
        Received = "received",
        Verified = "verified",
        Dispositioned = "dispositioned",
        InProgress = "in_progress",
        Answered = "answered",
        Closed = "closed",
        Rejected = "rejected",
        Duplicate = "duplicate",
        Referred = "referred",
        Reopened = "reopened",
        AutoClosed = "auto_closed",
    }
}

codes! {
    /// Why an action was refused in a state.
    Refusal {
        /// The coordinator has not verified the case yet (closing, dispositioning
        /// or referring an unverified case).
        NotVerified = "not_verified",
        /// Verification (or rejecting, merging as a duplicate) is behind it.
        AlreadyVerified = "already_verified",
        /// No agency holds the case yet, so none can work on or answer it.
        NotDispositioned = "not_dispositioned",
        /// The action needs an answer first (rating, closing, auto-closing,
        /// "not resolved").
        NotAnswered = "not_answered",
        /// The agency already works on the case.
        AlreadyInProgress = "already_in_progress",
        /// The agency has answered; to go on, the reporter replies or says
        /// "not resolved".
        AlreadyAnswered = "already_answered",
        /// The case is closed.
        Closed = "closed",
        /// The case was rejected or merged into another: nothing more happens to it.
        Final = "final",
        /// The case went to a body outside the regency; only closing it is left.
        Referred = "referred",
        /// A rejection without a reason the reporter can read.
        MissingReason = "missing_reason",
        /// A duplicate without its original, a disposition without an agency,
        /// a referral without a body, a hand-on without a colleague.
        MissingTarget = "missing_target",
        /// A rating outside 1 to 5.
        RatingOutOfRange = "rating_out_of_range",
    }
}

impl State {
    /// Rejected, duplicate, closed and auto-closed cases are done; a referred
    /// case is out of the regency's hands but still open until closed.
    pub fn is_done(self) -> bool {
        matches!(self, State::Closed | State::AutoClosed | State::Rejected | State::Duplicate)
    }

    /// The deadline this state runs, if any.
    ///
    /// The coordinator's verification deadline runs until the case is
    /// dispositioned (verifying without forwarding does not stop it); the
    /// agency's follow-up deadline runs from the disposition (or the reopening)
    /// until it takes the case in hand; then the resolution deadline runs until
    /// the answer; after an answer, the auto-close timer.
    pub fn stage(self) -> Option<Stage> {
        match self {
            State::Received | State::Verified => Some(Stage::Verify),
            State::Dispositioned | State::Reopened => Some(Stage::FollowUp),
            State::InProgress => Some(Stage::Resolution),
            State::Answered => Some(Stage::AutoClose),
            State::Closed | State::Rejected | State::Duplicate | State::Referred | State::AutoClosed => None,
        }
    }

    /// The public colour of Bojonegoro's SIAP LAPOR! board: red while no one
    /// has followed the case up, yellow while the agency works on it, blue
    /// when it is done (answered, closed, or handed to the body outside the
    /// regency that is responsible). Rejected and duplicate cases are not on
    /// the board.
    pub fn colour(self) -> Option<Colour> {
        match self {
            State::Received | State::Verified | State::Dispositioned | State::Reopened => Some(Colour::Red),
            State::InProgress => Some(Colour::Yellow),
            State::Answered | State::Closed | State::AutoClosed | State::Referred => Some(Colour::Blue),
            State::Rejected | State::Duplicate => None,
        }
    }
}

codes! {
    /// See [`State::colour`].
    Colour {
        Red = "red",
        Yellow = "yellow",
        Blue = "blue",
    }
}

/// What someone does to a case. The payloads are what the history keeps
/// beside who and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The coordinator confirms the report is complete and in scope.
    Verify,
    /// Spam or out of scope, with the reason the reporter sees.
    Reject { reason: String },
    /// The same problem as an earlier case (its tracking number).
    MarkDuplicate { of: String },
    /// Forward to the responsible agency (also re-routing to another one).
    Disposition { agency: String },
    /// Hand over to a body outside the regency (PDAM, PLN, province, national roads).
    Refer { body: String },
    /// The agency takes the case in hand: the follow-up deadline is met.
    Start,
    /// The agency answers (again, to complete an earlier answer).
    Answer,
    /// The agency (or the coordinator, before verifying) asks the reporter for more.
    AskReporter,
    /// The reporter writes to the case.
    ReporterReplies,
    /// The reporter says the answer did not solve the problem.
    NotResolved,
    /// The reporter rates the answer, 1 to 5.
    Rate { stars: u8 },
    /// The auto-close job, when the answer had no reply in time.
    AutoClose,
    /// The coordinator closes an answered or referred case.
    Close,
    /// One of the agency's officers hands the case to a colleague of the
    /// same agency (a user id), with a note saying why. The agency still
    /// holds the case: its state and deadline stay as they are.
    HandOn { to: String },
}

codes! {
    /// The kind of an [`Action`], without its payload.
    ActionKind {
        Verify = "verify",
        Reject = "reject",
        MarkDuplicate = "mark_duplicate",
        Disposition = "disposition",
        Refer = "refer",
        Start = "start",
        Answer = "answer",
        AskReporter = "ask_reporter",
        ReporterReplies = "reporter_replies",
        NotResolved = "not_resolved",
        Rate = "rate",
        AutoClose = "auto_close",
        Close = "close",
        HandOn = "hand_on",
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Verify => ActionKind::Verify,
            Action::Reject { .. } => ActionKind::Reject,
            Action::MarkDuplicate { .. } => ActionKind::MarkDuplicate,
            Action::Disposition { .. } => ActionKind::Disposition,
            Action::Refer { .. } => ActionKind::Refer,
            Action::Start => ActionKind::Start,
            Action::Answer => ActionKind::Answer,
            Action::AskReporter => ActionKind::AskReporter,
            Action::ReporterReplies => ActionKind::ReporterReplies,
            Action::NotResolved => ActionKind::NotResolved,
            Action::Rate { .. } => ActionKind::Rate,
            Action::AutoClose => ActionKind::AutoClose,
            Action::Close => ActionKind::Close,
            Action::HandOn { .. } => ActionKind::HandOn,
        }
    }

    /// The payload's own check, whatever the state.
    fn check_payload(&self) -> Result<(), Refusal> {
        let blank = |text: &str| text.trim().is_empty();
        match self {
            Action::Reject { reason } if blank(reason) => Err(Refusal::MissingReason),
            Action::MarkDuplicate { of: target }
            | Action::Disposition { agency: target }
            | Action::Refer { body: target }
            | Action::HandOn { to: target }
                if blank(target) =>
            {
                Err(Refusal::MissingTarget)
            }
            Action::Rate { stars } if !(1..=5).contains(stars) => Err(Refusal::RatingOutOfRange),
            _ => Ok(()),
        }
    }
}

/// The state after `action` in `state`, or why the action is refused.
///
/// The state is checked before the payload: a rating of 9 on an unanswered
/// case is refused as not answered.
pub fn transition(state: State, action: &Action) -> Result<State, Refusal> {
    use ActionKind as A;
    use State as S;
    let next = match (state, action.kind()) {
        (S::Received, A::Verify) => S::Verified,
        (S::Received | S::Verified, A::Reject) => S::Rejected,
        (S::Received | S::Verified, A::MarkDuplicate) => S::Duplicate,
        (S::Verified | S::Dispositioned | S::InProgress | S::Reopened, A::Disposition) => S::Dispositioned,
        (S::Verified | S::Dispositioned | S::InProgress | S::Reopened, A::Refer) => S::Referred,
        (S::Dispositioned | S::Reopened, A::Start) => S::InProgress,
        (S::Dispositioned | S::InProgress | S::Reopened | S::Answered, A::Answer) => S::Answered,
        (S::Received, A::AskReporter) => S::Received,
        (S::Dispositioned | S::InProgress | S::Reopened, A::AskReporter) => S::InProgress,
        // A reply to an answer is a question back: the agency owes another answer.
        (S::Answered, A::ReporterReplies) => S::InProgress,
        (S::Received | S::Verified | S::Dispositioned | S::InProgress | S::Reopened | S::Referred, A::ReporterReplies) => state,
        (S::Answered | S::Closed | S::AutoClosed, A::NotResolved) => S::Reopened,
        (S::Answered, A::Rate) => S::Closed,
        // A rating after the case closed is kept; the state stays.
        (S::Closed | S::AutoClosed, A::Rate) => state,
        (S::Answered, A::AutoClose) => S::AutoClosed,
        (S::Answered | S::Referred, A::Close) => S::Closed,
        // Handing on within the agency changes who works on the case, not
        // where it stands: only while the agency owes a follow-up or an answer.
        (S::Dispositioned | S::InProgress | S::Reopened, A::HandOn) => state,
        (state, kind) => return Err(refusal(state, kind)),
    };
    action.check_payload()?;
    Ok(next)
}

/// Why `kind` cannot happen in `state` (a pair [`transition`] does not allow).
fn refusal(state: State, kind: ActionKind) -> Refusal {
    use ActionKind as A;
    use State as S;
    match (state, kind) {
        (S::Rejected | S::Duplicate, _) => Refusal::Final,
        (S::Closed | S::AutoClosed, _) => Refusal::Closed,
        (S::Referred, _) => Refusal::Referred,
        (S::Received, A::Disposition | A::Refer | A::Close) => Refusal::NotVerified,
        (_, A::Verify | A::Reject | A::MarkDuplicate) => Refusal::AlreadyVerified,
        (S::Received | S::Verified, _) if matches!(kind, A::Start | A::Answer | A::AskReporter | A::HandOn) => Refusal::NotDispositioned,
        (S::InProgress, A::Start) => Refusal::AlreadyInProgress,
        (S::Answered, _) => Refusal::AlreadyAnswered,
        _ => Refusal::NotAnswered,
    }
}

/// One deadline of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The coordinator verifies and forwards.
    Verify,
    /// The agency takes up the case.
    FollowUp,
    /// The agency settles the case.
    Resolution,
    /// The reporter may answer before the case closes itself.
    AutoClose,
}

/// A service's deadline settings, set per service; the defaults are
/// SP4N-LAPOR!'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SlaSettings {
    /// Working days to verify (and forward) a report: 3.
    pub verify_working_days: u32,
    /// Working days for the agency to follow a case up: 5.
    pub follow_up_working_days: u32,
    /// Working days after an answer without a reply before the case closes: 10.
    pub auto_close_working_days: u32,
    /// *Calendar* days to settle a case once its file is complete: 60.
    /// domain.md says "60 days after the file is complete" where every other
    /// limit says working days (UU 25/2009 on deciding a complaint also reads
    /// *hari*, not *hari kerja*), so these are days on the calendar, counted
    /// from the verification, when the coordinator accepts the file.
    pub resolution_days: u32,
}

impl Default for SlaSettings {
    fn default() -> SlaSettings {
        SlaSettings { verify_working_days: 3, follow_up_working_days: 5, auto_close_working_days: 10, resolution_days: 60 }
    }
}

impl SlaSettings {
    /// The last day of `stage`, counted from `since`: the day the stage began
    /// (received, dispositioned or reopened, answered), and for
    /// [`Stage::Resolution`] the day the file was complete (verified). Working
    /// days never count their start day ([`Calendar::add_working_days`]).
    pub fn due(&self, stage: Stage, since: Date, calendar: &Calendar) -> Date {
        match stage {
            Stage::Verify => calendar.add_working_days(since, self.verify_working_days),
            Stage::FollowUp => calendar.add_working_days(since, self.follow_up_working_days),
            Stage::AutoClose => calendar.add_working_days(since, self.auto_close_working_days),
            Stage::Resolution => since.add_days(i64::from(self.resolution_days)),
        }
    }
}

impl Stage {
    /// How late `today` is for a stage due on `due`, in the stage's own unit
    /// (working days, or calendar days for [`Stage::Resolution`]); zero or
    /// less is on time. The weekly review sorts overdue cases by it.
    pub fn late_by(self, due: Date, today: Date, calendar: &Calendar) -> i64 {
        match self {
            Stage::Resolution => today.days_since_epoch() - due.days_since_epoch(),
            _ => calendar.working_days_between(due, today),
        }
    }
}

/// A case is overdue from the day after its due day: work done on the due day
/// is on time.
pub fn is_overdue(due: Date, today: Date) -> bool {
    today > due
}
