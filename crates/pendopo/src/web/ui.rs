//! Pages: the templates (embedded, overridable per deployment) and the
//! message catalogue (Bahasa Indonesia first, English second).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::Kwargs;
use minijinja::{Environment, State};

use crate::kernel::msg::{Arg, Msg};

/// Languages of the interface; the first is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().get(..2)? {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch on every page.
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }
}

/// key = text lines; `{name}` marks an argument.
pub struct Catalog {
    id: HashMap<String, String>,
    en: HashMap<String, String>,
}

pub const CATALOG_ID: &str = include_str!("../../locales/id.txt");
pub const CATALOG_EN: &str = include_str!("../../locales/en.txt");

/// The whole catalogue text of each language: the shared files, then each
/// slice's (`Slice::locales`).
pub fn catalogues() -> [String; 2] {
    [0, 1].map(|lang| {
        let shared = if lang == 0 { CATALOG_ID } else { CATALOG_EN };
        std::iter::once(shared).chain(crate::slices::locales(lang)).collect::<Vec<_>>().join("\n")
    })
}

/// Every template: the shared ones and each slice's.
pub fn all_templates() -> Vec<(&'static str, &'static str)> {
    TEMPLATES.iter().chain(crate::slices::templates()).copied().collect()
}

pub fn parse_catalog(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
        .collect()
}

impl Catalog {
    /// The shared catalogue and every slice's own.
    pub fn embedded() -> Catalog {
        let [id, en] = catalogues();
        Catalog { id: parse_catalog(&id), en: parse_catalog(&en) }
    }

    /// The text for a key; a missing key shows itself, so it is noticed
    /// (and the catalogue test fails).
    pub fn text(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        let table = match lang {
            Lang::Id => &self.id,
            Lang::En => &self.en,
        };
        let mut out = table.get(key).cloned().unwrap_or_else(|| key.to_string());
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    pub fn msg(&self, lang: Lang, msg: &Msg) -> String {
        let args: Vec<(&str, String)> = msg
            .args
            .iter()
            .map(|(k, v)| match v {
                Arg::Text(t) => (*k, t.clone()),
                Arg::Msg(m) => (*k, self.msg(lang, m)),
            })
            .collect();
        self.text(lang, msg.key, &args)
    }
}

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        /// The shared templates (the page frame, macros, the error page),
        /// built into the binary; each slice brings its own (`Slice::templates`).
        pub const TEMPLATES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../templates/", $name)))),*
        ];
    };
}

templates!("base.html", "macros.html", "error.html");

/// The language of the page being rendered.
fn page_lang(state: &State) -> Lang {
    state.lookup("lang").and_then(|v| v.as_str().and_then(Lang::parse)).unwrap_or(Lang::Id)
}

pub struct Ui {
    pub env: Environment<'static>,
    pub catalog: Arc<Catalog>,
}

impl Ui {
    /// Templates come from `override_dir` when a file of the same name is
    /// there (a regency's own look), else from the binary.
    pub fn new(override_dir: Option<PathBuf>) -> Ui {
        let catalog = Arc::new(Catalog::embedded());
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                let path = dir.join(name);
                if !name.contains("..") && path.is_file() {
                    return std::fs::read_to_string(&path)
                        .map(Some)
                        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("{}: {e}", path.display())));
                }
            }
            let slices = crate::slices::templates();
            Ok(TEMPLATES.iter().chain(slices).find(|(n, _)| *n == name).map(|(_, body)| body.to_string()))
        });
        // HTML escaping without minijinja's escaping of '/', so addresses
        // in pages stay readable (and greppable); the five characters that
        // matter in HTML text and attributes are still escaped.
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() && !value.is_undefined() {
                let text = value.to_string();
                let mut escaped = String::with_capacity(text.len());
                for ch in text.chars() {
                    match ch {
                        '&' => escaped.push_str("&amp;"),
                        '<' => escaped.push_str("&lt;"),
                        '>' => escaped.push_str("&gt;"),
                        '"' => escaped.push_str("&quot;"),
                        '\'' => escaped.push_str("&#x27;"),
                        c => escaped.push(c),
                    }
                }
                return out.write_str(&escaped).map_err(minijinja::Error::from);
            }
            minijinja::escape_formatter(out, state, value)
        });
        let c = catalog.clone();
        env.add_function("t", move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
            let lang = state.lookup("lang").and_then(|v| v.as_str().and_then(Lang::parse)).unwrap_or(Lang::Id);
            let mut args = Vec::new();
            for name in kwargs.args() {
                let v: minijinja::Value = kwargs.get(name)?;
                args.push((name, v.to_string()));
            }
            Ok(c.text(lang, key, &args))
        });
        env.add_filter("rupiah", |v: i64| crate::web::format::rupiah(v));
        env.add_filter("number", |v: i64| crate::web::format::thousands(v));
        env.add_filter("truncate", |s: String, n: usize| crate::web::format::truncate(&s, n));
        env.add_filter("decimal", |v: f64, places: Option<usize>| crate::web::format::decimal(v, places.unwrap_or(1)));
        env.add_filter("column_label", |s: String| crate::web::format::column_label(&s));
        env.add_filter("cell", |v: minijinja::Value, column: String| {
            let json = serde_json::to_value(&v).unwrap_or(serde_json::Value::Null);
            crate::web::format::cell(&json, &column)
        });
        env.add_filter("datetime", |state: &State, ms: i64| {
            let zone = match state.lookup("tz").as_ref().and_then(|v| v.as_str().map(str::to_string)).as_deref() {
                Some("WITA") => wilayah::TimeZone::Wita,
                Some("WIT") => wilayah::TimeZone::Wit,
                _ => wilayah::TimeZone::Wib,
            };
            crate::web::format::moment_words(ms, zone, page_lang(state))
        });
        env.add_filter("date", |state: &State, s: String| crate::web::format::iso_date_words(&s, page_lang(state)));
        Ui { env, catalog }
    }
}
