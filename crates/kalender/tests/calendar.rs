//! `Calendar`: which days are off and the deadline arithmetic.

use kalender::{Calendar, Date, Holiday, HolidayKind, fixed_national_holidays, parse_csv};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

/// A TEST LIST, invented for these tests around Idul Fitri 2026: it is not the
/// SKB list. The fixed-date holidays are built into the crate, not listed here.
const TEST_LIST_2026: &str = "\
tanggal,nama,jenis
2026-03-20,Cuti Bersama Idul Fitri (daftar uji),cuti_bersama
2026-03-21,Idul Fitri 1447 H (daftar uji),libur_nasional
2026-03-22,Idul Fitri 1447 H hari kedua (daftar uji),libur_nasional
2026-03-23,Cuti Bersama Idul Fitri (daftar uji),cuti_bersama
2026-08-17,Hari Kemerdekaan RI ke-81 (daftar uji),libur_nasional
";

fn calendar_2026() -> Calendar {
    parse_csv(TEST_LIST_2026).unwrap().into_iter().collect()
}

#[test]
fn fixed_national_holidays_hold_in_any_year() {
    let calendar = Calendar::new();
    for year in [1999, 2026, 2031, 2100] {
        for (month, day) in [(1, 1), (5, 1), (6, 1), (8, 17), (12, 25)] {
            let date = Date::new(year, month, day).unwrap();
            assert!(calendar.is_holiday(date) && !calendar.is_working_day(date), "{date}");
        }
        assert_eq!(fixed_national_holidays(year).count(), 5);
    }
    let names: Vec<_> = fixed_national_holidays(2031).map(|h| h.name).collect();
    assert_eq!(
        names,
        ["Tahun Baru Masehi", "Hari Buruh Internasional", "Hari Lahir Pancasila", "Hari Kemerdekaan Republik Indonesia", "Hari Raya Natal"]
    );
    // Weekends are off, ordinary weekdays are not.
    assert!(!calendar.is_working_day(d("2026-08-15")) && !calendar.is_working_day(d("2026-08-16")));
    assert!(!calendar.is_holiday(d("2026-08-15")));
    assert!(calendar.is_working_day(d("2026-08-18")));
}

#[test]
fn five_working_days_from_wednesday_skip_the_weekend_and_17_august() {
    let calendar = Calendar::new();
    assert_eq!(calendar.add_working_days(d("2026-08-12"), 5), d("2026-08-20"));
    assert_eq!(calendar.working_days_between(d("2026-08-12"), d("2026-08-20")), 5);
}

#[test]
fn idul_fitri_cuti_bersama_stop_the_clock() {
    let calendar = calendar_2026();
    for day in ["2026-03-20", "2026-03-21", "2026-03-22", "2026-03-23"] {
        assert!(!calendar.is_working_day(d(day)), "{day}");
    }
    // Thursday 19 March: the next working day is Tuesday 24 March.
    assert_eq!(calendar.next_working_day(d("2026-03-19")), d("2026-03-24"));
    assert_eq!(calendar.add_working_days(d("2026-03-18"), 3), d("2026-03-25"));
    assert_eq!(calendar.working_days_between(d("2026-03-19"), d("2026-03-24")), 1);
    // Without the list the Friday and the Monday are ordinary working days.
    assert_eq!(Calendar::new().next_working_day(d("2026-03-19")), d("2026-03-20"));
}

#[test]
fn the_start_day_never_counts_and_zero_means_today_or_next_open_day() {
    let calendar = calendar_2026();
    // Filed on a working day: 1 day is the next day, 0 days is the same day.
    assert_eq!(calendar.add_working_days(d("2026-08-12"), 1), d("2026-08-13"));
    assert_eq!(calendar.add_working_days(d("2026-08-12"), 0), d("2026-08-12"));
    // Filed on Saturday 15 August (Monday is the 17th): both count from Tuesday.
    assert_eq!(calendar.add_working_days(d("2026-08-15"), 0), d("2026-08-18"));
    assert_eq!(calendar.add_working_days(d("2026-08-15"), 1), d("2026-08-18"));
    assert_eq!(calendar.add_working_days(d("2026-08-15"), 2), d("2026-08-19"));
    // Filed on a holiday.
    assert_eq!(calendar.add_working_days(d("2026-03-21"), 1), d("2026-03-24"));
}

#[test]
fn working_days_between_is_zero_for_the_same_day_and_antisymmetric() {
    let calendar = calendar_2026();
    assert_eq!(calendar.working_days_between(d("2026-08-12"), d("2026-08-12")), 0);
    // Friday to Monday 17 August: nothing but days off in between.
    assert_eq!(calendar.working_days_between(d("2026-08-14"), d("2026-08-17")), 0);
    assert_eq!(calendar.working_days_between(d("2026-08-20"), d("2026-08-12")), -5);
    // Overdue by two working days: deadline Thursday 20, today Monday 24.
    assert_eq!(calendar.working_days_between(d("2026-08-20"), d("2026-08-24")), 2);
    // A whole year: 365 days, 104 weekend days, the fixed holidays on weekdays
    // (1 Jan Thu, 1 May Fri, 1 Jun Mon, 17 Aug Mon, 25 Dec Fri) and the test
    // list's two weekday cuti bersama.
    assert_eq!(calendar.working_days_between(d("2025-12-31"), d("2026-12-31")), 365 - 104 - 5 - 2);
}

#[test]
fn add_and_between_agree_over_a_range_of_dates_and_lengths() {
    let mut calendar = calendar_2026();
    calendar.add(Holiday::new(d("2026-10-14"), "Hari Jadi Kabupaten (daftar uji)", HolidayKind::Regional));
    let mut start = d("2025-12-01");
    while start <= d("2027-01-31") {
        let mut due = start;
        for n in 1..=40 {
            let expected = calendar.add_working_days(start, n);
            due = calendar.next_working_day(due); // the same deadline, built one step at a time
            assert_eq!(expected, due, "{start} + {n}");
            assert!(calendar.is_working_day(due) && due > start);
            assert_eq!(calendar.working_days_between(start, due), i64::from(n), "{start} + {n}");
            assert_eq!(calendar.working_days_between(due, start), -i64::from(n));
        }
        assert_eq!(calendar.add_working_days(start, 1), calendar.next_working_day(start));
        let zero = calendar.add_working_days(start, 0);
        assert_eq!(zero == start, calendar.is_working_day(start), "{start}");
        start = start.add_days(1);
    }
}

#[test]
fn regional_days_off_belong_to_their_region_only() {
    let national = calendar_2026();
    let mut region = national.clone();
    region.extend([Holiday::new(d("2026-08-19"), "Hari Jadi Kabupaten Contoh (daftar uji)", HolidayKind::Regional)]);
    assert_eq!(national.add_working_days(d("2026-08-12"), 5), d("2026-08-20"));
    assert_eq!(region.add_working_days(d("2026-08-12"), 5), d("2026-08-21"));
}

#[test]
fn listing_merges_built_in_and_added_holidays_without_duplicates() {
    let mut calendar = calendar_2026();
    calendar.add(Holiday::new(d("2026-08-17"), "Upacara daerah (daftar uji)", HolidayKind::Regional));
    let august = calendar.holidays_between(d("2026-08-01"), d("2026-08-31"));
    // The imported libur_nasional on 17 August replaces the built-in name; the
    // regional entry on the same day is kept beside it.
    assert_eq!(
        august,
        [
            Holiday::new(d("2026-08-17"), "Hari Kemerdekaan RI ke-81 (daftar uji)", HolidayKind::National),
            Holiday::new(d("2026-08-17"), "Upacara daerah (daftar uji)", HolidayKind::Regional),
        ]
    );
    let year = calendar.holidays_between(d("2026-01-01"), d("2026-12-31"));
    assert_eq!(year.len(), 4 + 5 + 1); // fixed ones not replaced, the test list, the regional day
    assert!(year.windows(2).all(|w| (w[0].date, w[0].kind) < (w[1].date, w[1].kind)));
    assert_eq!(calendar.holidays_between(d("2026-12-25"), d("2027-01-01")).len(), 2);
    assert!(calendar.holidays_between(d("2026-08-18"), d("2026-08-17")).is_empty());
    // Adding the same date and kind again replaces the name.
    calendar.add(Holiday::new(d("2026-03-20"), "Cuti Bersama (diralat)", HolidayKind::CollectiveLeave));
    assert_eq!(calendar.holidays_between(d("2026-03-20"), d("2026-03-20"))[0].name, "Cuti Bersama (diralat)");
}
