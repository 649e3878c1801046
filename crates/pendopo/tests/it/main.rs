//! One integration test binary (one link on a 2-core machine, not seven).
//! Runs on SQLite; also on PostgreSQL when PENDOPO_TEST_DATABASE_URL is set.

mod admin;
mod auth;
mod budgets;
mod case_answers;
mod case_channels;
mod case_dashboards;
mod case_deadlines;
mod catalog;
mod catalog_pages;
mod citizen_reports;
mod ckan_api;
mod ckan_load;
mod cli;
mod common;
mod contracting;
mod datastore;
mod dcat;
mod holidays;
mod ikm_paper;
mod jobs;
mod ngsi_ld;
mod ocds_cli;
mod pengadaan;
mod privacy;
mod public_services;
mod search_cache;
mod sensors_iot;
mod service_cases;
mod services;
mod store;
mod tidy;
mod upgrade;
mod villages;
mod web_http;
mod wilayah_http;
