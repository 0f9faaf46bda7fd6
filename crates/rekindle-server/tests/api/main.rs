//! Black-box tests of the HTTP server: each test starts the real app on a random port with a
//! fresh data dir and talks HTTP to it. One test binary, to keep linking fast.

mod accounts;
mod bad_input;
mod channels;
mod contact_reach;
mod contacts;
mod fallback;
mod groups;
mod helpers;
mod hostile;
mod ingestion;
mod journeys;
mod launch;
mod leadership;
mod links;
mod live;
mod loyalty;
mod openapi_current;
mod programme;
mod reports;
mod rest;
mod segments;
mod sensors;
mod service;
mod subscriptions;
mod ugc;
mod wecom_jsapi;
mod wecom_kf;
mod wecom_relationships;
mod winners;
