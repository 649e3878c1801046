//! Complaint cases (in progress).
