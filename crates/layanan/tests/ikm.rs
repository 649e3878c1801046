//! IKM: the formula, grades at their edges, the sample size, the report's JSON.

use layanan::ikm::{AgeBand, AnswerError, Answers, Education, Element, Grade, Occupation, Profile, Sex, Survey, ikm_from_nrr, min_sample};
use serde_json::json;

/// Ten respondents whose per-element sums are `sums`: respondent `r` gives 3,
/// plus one for the first `sum - 30` respondents (or minus one for the first
/// `30 - sum`).
fn ten_respondents(sums: [i64; 9]) -> Survey {
    let mut survey = Survey::new();
    for r in 0..10 {
        let scores: Vec<i64> = sums.iter().map(|&s| 3 + (s - 30).signum() * i64::from(r < (s - 30).abs())).collect();
        survey.add(&Answers::new(&scores).unwrap());
    }
    survey
}

/// domain.md's worked example: NRR 3.20, 3.10, 2.90, 3.80, 3.30, 3.40, 3.50,
/// 3.00, 3.20 gives 81.67, grade B.
#[test]
fn worked_example_gives_81_67_b() {
    let survey = ten_respondents([32, 31, 29, 38, 33, 34, 35, 30, 32]);
    assert_eq!(survey.respondents(), 10);
    assert_eq!(survey.nrr().unwrap(), [3.2, 3.1, 2.9, 3.8, 3.3, 3.4, 3.5, 3.0, 3.2]);
    assert_eq!(survey.converted_hundredths(), Some(8167));
    assert_eq!(survey.ikm_converted(), Some(81.67));
    assert_eq!(survey.grade(), Some(Grade::B));
    assert_eq!(Grade::B.label(), "Baik");
    assert_eq!(survey.lowest_element(), Some(Element::U3));
    // The same from averaged figures; with the regulation's printed 0.11 it
    // would be 80.85 instead.
    let nrr = [3.20, 3.10, 2.90, 3.80, 3.30, 3.40, 3.50, 3.00, 3.20];
    assert!((ikm_from_nrr(&nrr) * 25.0 - 81.666_666).abs() < 1e-5);
}

#[test]
fn perfect_scores_give_100_not_99() {
    let mut survey = Survey::new();
    survey.add(&Answers::new(&[4; 9]).unwrap());
    assert_eq!((survey.ikm(), survey.ikm_converted(), survey.grade()), (Some(4.0), Some(100.0), Some(Grade::A)));
    let mut worst = Survey::new();
    worst.add(&Answers::new(&[1; 9]).unwrap());
    assert_eq!((worst.ikm_converted(), worst.grade()), (Some(25.0), Some(Grade::D)));
}

#[test]
fn grade_boundaries_on_the_converted_scale() {
    let cases = [
        (2500, Grade::D),
        (6499, Grade::D),
        (6500, Grade::C),
        (7660, Grade::C),
        (7661, Grade::B),
        (8830, Grade::B),
        (8831, Grade::A),
        (10000, Grade::A),
    ];
    for (hundredths, grade) in cases {
        assert_eq!(Grade::from_hundredths(hundredths), grade, "{hundredths}");
    }
    let labels: Vec<_> = [Grade::A, Grade::B, Grade::C, Grade::D].iter().map(|g| (g.letter(), g.label())).collect();
    assert_eq!(labels, [("A", "Sangat baik"), ("B", "Baik"), ("C", "Kurang baik"), ("D", "Tidak baik")]);
}

/// Surveys whose exact converted index falls in the table's gaps: 5,000
/// respondents with every element summing to `per_element`. 15,321 gives
/// 3.0642 on the 1-4 scale (between C's 3.064 and B's 3.0644), 76.605
/// converted, printed 76.61: B. One point less prints 76.60: C.
#[test]
fn values_in_the_tables_gaps_take_the_grade_of_the_printed_figure() {
    let at = |per_element: u64| Survey::from_totals([per_element; 9], 5000);
    let cases = [
        (15_321, 7661, Grade::B), // 76.605
        (12_999, 6500, Grade::C), // 64.995
        (17_661, 8831, Grade::A), // 88.305
    ];
    for (per_element, hundredths, grade) in cases {
        let survey = at(per_element);
        assert_eq!((survey.converted_hundredths(), survey.grade()), (Some(hundredths), Some(grade)), "{per_element}");
    }
    assert!((at(15_321).ikm().unwrap() - 3.0642).abs() < 1e-12);
    // Just under each: 9 points fewer in total over 5,000 x 9 answers.
    assert_eq!(Survey::from_totals([15_321, 15_321, 15_321, 15_321, 15_321, 15_321, 15_321, 15_321, 15_320], 5000).grade(), Some(Grade::C));
    assert_eq!(Survey::from_totals([12_999, 12_999, 12_999, 12_999, 12_999, 12_999, 12_999, 12_999, 12_998], 5000).grade(), Some(Grade::D));
    assert_eq!(Survey::from_totals([17_661, 17_661, 17_661, 17_661, 17_661, 17_661, 17_661, 17_661, 17_660], 5000).grade(), Some(Grade::B));
}

/// domain.md's checks, and two rows of Krejcie and Morgan's table that show
/// the rounding is to the nearest (14.47 -> 14, 23.53 -> 24), not up.
#[test]
fn krejcie_morgan_minimum_samples() {
    for (population, sample) in
        [(100, 80), (500, 217), (1_000, 278), (10_000, 370), (1_000_000, 384), (0, 0), (1, 1), (10, 10), (15, 14), (25, 24)]
    {
        assert_eq!(min_sample(population), sample, "N = {population}");
    }
}

#[test]
fn answers_are_nine_scores_from_1_to_4() {
    assert_eq!(Answers::new(&[3; 8]), Err(AnswerError::Count { given: 8 }));
    assert_eq!(Answers::new(&[3; 10]), Err(AnswerError::Count { given: 10 }));
    let error = Answers::new(&[4, 4, 5, 4, 4, 4, 4, 4, 0]).unwrap_err();
    assert_eq!(error, AnswerError::OutOfRange { element: Element::U3, value: 5 });
    assert_eq!(error.code(), "ikm_answer_out_of_range");
    assert_eq!(error.to_string(), "U3 (Waktu penyelesaian): 5 is not a score from 1 to 4");
    assert_eq!(Answers::new(&[1, 2, 3, 4, 1, 2, 3, 4, 0]).unwrap_err(), AnswerError::OutOfRange { element: Element::U9, value: 0 });
    assert_eq!(Answers::new(&[1, 2, 3, 4, 1, 2, 3, 4, 1]).unwrap().score(Element::U4), 4);
    // A form names every bad cell at once.
    assert_eq!(
        Answers::check_each(&[4, 4, 5, 4, 4, 4, 4, 4, 0]).unwrap_err(),
        vec![AnswerError::OutOfRange { element: Element::U3, value: 5 }, AnswerError::OutOfRange { element: Element::U9, value: 0 }]
    );
}

#[test]
fn elements_have_the_regulations_names() {
    let names: Vec<_> = Element::ALL.iter().map(|e| format!("{e} {}", e.name())).collect();
    assert_eq!(names[0], "U1 Persyaratan");
    assert_eq!(names[4], "U5 Produk spesifikasi jenis pelayanan");
    assert_eq!(names[8], "U9 Sarana dan prasarana");
    assert_eq!(Element::from_code("u7"), Some(Element::U7));
    assert_eq!(Element::from_code("U10"), None);
}

#[test]
fn profile_categories_round_trip_their_codes() {
    assert_eq!(AgeBand::from_years(19), AgeBand::Under20);
    assert_eq!(AgeBand::from_years(20), AgeBand::From20);
    assert_eq!(AgeBand::from_years(59), AgeBand::From50);
    assert_eq!(AgeBand::from_years(60), AgeBand::From60);
    for band in AgeBand::ALL {
        assert_eq!(AgeBand::from_code(band.code()), Some(*band));
    }
    let education: Vec<_> = Education::ALL.iter().map(|e| e.code()).collect();
    assert_eq!(education, ["sd", "smp", "sma", "diploma", "s1", "s2", "s3"]);
    let occupation: Vec<_> = Occupation::ALL.iter().map(|o| o.label()).collect();
    assert_eq!(occupation, ["PNS", "TNI", "POLRI", "Swasta", "Wirausaha", "Lainnya"]);
    assert_eq!((Sex::from_code("p"), Sex::from_code("x")), (Some(Sex::Perempuan), None));
    let profile = Profile { age: Some(AgeBand::From60), sex: Some(Sex::LakiLaki), education: Some(Education::Diploma), occupation: None };
    assert_eq!(serde_json::to_value(profile).unwrap(), json!({"age": "60_plus", "sex": "l", "education": "diploma", "occupation": null}));
}

#[test]
fn surveys_merge_and_equal_the_whole() {
    let a = ten_respondents([32, 31, 29, 38, 33, 34, 35, 30, 32]);
    let b = ten_respondents([40, 40, 40, 40, 40, 40, 40, 40, 21]);
    let mut whole = a;
    whole.merge(&b);
    assert_eq!(whole.respondents(), 20);
    assert_eq!(whole.sums()[8], 53);
    assert_eq!(whole.lowest_element(), Some(Element::U9));
    assert_eq!(Survey::from_totals(whole.sums(), 20), whole);
}

#[test]
fn report_json_has_the_api_shape() {
    let survey = ten_respondents([32, 31, 29, 38, 33, 34, 35, 30, 32]);
    let report = serde_json::to_value(survey.report(Some(100))).unwrap();
    assert_eq!(
        report,
        json!({
            "respondents": 10,
            "nrr": [3.2, 3.1, 2.9, 3.8, 3.3, 3.4, 3.5, 3.0, 3.2],
            "ikm": 3.2667,
            "ikm_converted": 81.67,
            "grade": "B",
            "population": 100,
            "min_sample": 80,
            "sample_met": false,
            "lowest_element": "U3"
        })
    );
    let empty = serde_json::to_value(Survey::new().report(None)).unwrap();
    assert_eq!(
        empty,
        json!({"respondents": 0, "nrr": [], "ikm": null, "ikm_converted": null, "grade": null,
               "population": null, "min_sample": null, "sample_met": null, "lowest_element": null})
    );
}
