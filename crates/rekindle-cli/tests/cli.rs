//! The `rekindle` binary end to end: imports (idempotent re-runs, per-line error report, exit
//! code), write keys, workspaces and people lookups, each on a fresh data dir.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_rekindle");

fn rekindle(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("--data-dir").arg(dir).args(args).output().expect("rekindle runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn import_is_idempotent_and_reports_refused_lines() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"type":"identify","userId":"42","traits":{"phone":"138 1234 5678","nickname":"小李"},"timestamp":"2026-05-01T20:00:00+08:00"}"#,
            "\n",
            r#"{"type":"track","userId":"42","event":"Live Watched","properties":{"seconds":600},"timestamp":"2026-05-01T20:10:00+08:00"}"#,
            "\n",
        ),
    )
    .unwrap();
    let csv = dir.path().join("orders.csv");
    std::fs::write(
        &csv,
        "order_id,timestamp,user_id,phone,sku,name,category,price_fen,quantity\n\
         o-1,2026-05-02T20:15:00+08:00,42,13812345678,oat-1kg,燕麦片,谷物,3990,2\n\
         o-1,2026-05-02T20:15:00+08:00,42,13812345678,milk,鲜牛奶,乳品,1590,1\n\
         o-2,2026-05-03T20:15:00+08:00,43,,egg,鸡蛋,蛋,4500,1\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let first = rekindle(&data, &["import", "--quiet", jsonl.to_str().unwrap(), csv.to_str().unwrap()]);
    assert!(first.status.success(), "{first:?}");
    assert!(stdout(&first).contains("imported 4 events (0 already present)"), "{}", stdout(&first));
    let again = rekindle(&data, &["import", "--quiet", jsonl.to_str().unwrap(), csv.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(stdout(&again).contains("imported 0 events (4 already present)"), "{}", stdout(&again));

    let shown = rekindle(&data, &["people", "show", "phone:+86 138-1234-5678", "--json"]);
    assert!(shown.status.success(), "{shown:?}");
    let person: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(person["events"].as_array().unwrap().len(), 3, "identify, watch and one order");
    assert_eq!(person["person"]["traits"]["nickname"], "小李");
    // In words, times are the store's (Asia/Shanghai), as in the console; the JSON stays UTC.
    let words = stdout(&rekindle(&data, &["people", "show", "phone:13812345678"]));
    assert!(words.contains("(times in Asia/Shanghai)") && words.contains("2026-05-01 20:10:00"), "{words}");

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"type\":\"track\",\"userId\":\"9\",\"event\":\"x\"}\nnot json\n{\"type\":\"track\",\"event\":\"x\"}\n",
    )
    .unwrap();
    let report = dir.path().join("refused.jsonl");
    let out = rekindle(&data, &["import", "--quiet", "--errors", report.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "refused lines make the exit code non-zero");
    assert!(stdout(&out).contains("imported 1 events"), "the good line is imported: {}", stdout(&out));
    let refused: Vec<serde_json::Value> =
        std::fs::read_to_string(&report).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(refused.len(), 2);
    assert_eq!((refused[0]["line"].as_u64(), refused[0]["field"].as_str()), (Some(2), Some("")));
    assert_eq!((refused[1]["line"].as_u64(), refused[1]["field"].as_str()), (Some(3), Some("userId")));
}

#[test]
fn keys_and_workspaces_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let created = rekindle(dir.path(), &["workspaces", "create", "north", "--name", "北店"]);
    assert!(created.status.success(), "{created:?}");
    let listed = stdout(&rekindle(dir.path(), &["workspaces", "list"]));
    assert!(listed.contains("north") && listed.contains("default"), "{listed}");

    let key = rekindle(dir.path(), &["--workspace", "north", "keys", "create", "mini-program"]);
    assert!(key.status.success());
    let secret = stdout(&key).trim().to_string();
    assert!(secret.starts_with("rk_"));
    let list = stdout(&rekindle(dir.path(), &["--workspace", "north", "keys", "list"]));
    assert!(list.contains("mini-program") && list.contains("active") && !list.contains(&secret), "{list}");
    assert!(stdout(&rekindle(dir.path(), &["keys", "list"])).lines().count() == 1, "the default store has none");
    let revoked = rekindle(dir.path(), &["--workspace", "north", "keys", "revoke", "1"]);
    assert!(revoked.status.success());
    assert!(stdout(&rekindle(dir.path(), &["--workspace", "north", "keys", "list"])).contains("revoked"));
    let unknown = rekindle(dir.path(), &["--workspace", "nowhere", "keys", "list"]);
    assert!(!unknown.status.success());
}

#[test]
fn migrate_and_help_work() {
    let dir = tempfile::tempdir().unwrap();
    let m = rekindle(dir.path(), &["migrate"]);
    assert!(m.status.success() && stdout(&m).contains("sqlite store is up to date"));
    for cmd in [
        &["--help"][..],
        &["serve", "--help"],
        &["import", "--help"],
        &["keys", "--help"],
        &["people", "show", "--help"],
    ] {
        let h = Command::new(BIN).args(cmd).output().unwrap();
        assert!(h.status.success(), "{cmd:?}");
        assert!(stdout(&h).contains("Usage"), "{cmd:?}");
    }
}

#[test]
fn segment_eval_counts_lists_exports_and_points_at_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("orders.csv");
    std::fs::write(
        &csv,
        "order_id,timestamp,user_id,phone,sku,name,category,price_fen,quantity\n\
         o-1,2026-03-01T20:15:00+08:00,42,13812345678,strawberry,红颜草莓,水果,5990,1\n\
         o-2,2026-04-28T20:15:00+08:00,43,13912345678,strawberry,红颜草莓,水果,5990,1\n\
         o-3,2026-04-29T20:15:00+08:00,44,,egg,鸡蛋,蛋,4500,1\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    assert!(rekindle(&data, &["import", "--quiet", csv.to_str().unwrap()]).status.success());

    let rule = r#"bought "草莓" and not bought "草莓" within 30d"#;
    let count = rekindle(&data, &["segment", "eval", rule, "--count", "--at", "2026-05-01"]);
    assert!(count.status.success(), "{count:?}");
    assert_eq!(stdout(&count).trim(), "1", "only 42 bought strawberries more than 30 days before");

    let csv_out = rekindle(&data, &["segment", "eval", "orders >= 1", "--csv", "--at", "2026-05-01"]);
    let lines: Vec<String> = stdout(&csv_out).lines().map(str::to_owned).collect();
    assert_eq!(lines[0], "person,nickname,phone,stage,tier,orders,spend_fen,last_order");
    assert_eq!(lines.len(), 4, "a header and three people: {lines:?}");
    assert!(lines.iter().any(|l| l.contains("+8613812345678") && l.contains(",silent,")), "{lines:?}");

    let wrong = rekindle(&data, &["segment", "eval", "spend >= 2000"]);
    assert_eq!(wrong.status.code(), Some(2));
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains("spend >= 2000\n         ^\nerror: at character 10: expected an amount like ¥2000"), "{err}");

    // 20,000 nested parentheses once overflowed the stack and aborted; now a plain refusal.
    let deep = format!("{}orders >= 1{}", "(".repeat(20_000), ")".repeat(20_000));
    let deep = rekindle(&data, &["segment", "eval", &deep]);
    assert_eq!(deep.status.code(), Some(2), "{deep:?}");
    let err = String::from_utf8_lossy(&deep.stderr);
    assert!(err.contains("error: at character 2001: expected a rule of at most 2000 characters"), "{err}");
    let nested = format!("{}orders >= 1{}", "(".repeat(65), ")".repeat(65));
    let nested = rekindle(&data, &["segment", "eval", &nested]);
    let err = String::from_utf8_lossy(&nested.stderr);
    assert!(err.contains("error: at character 65: expected at most 64 levels"), "{err}");
}

#[test]
fn score_fits_the_models_and_backtests_as_of_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("orders.csv");
    let mut lines = String::from("order_id,timestamp,user_id,phone,sku,name,category,price_fen,quantity\n");
    // Twelve people; person k orders k+1 times, a week apart, from March.
    for k in 0..12 {
        for n in 0..=k {
            let day = 1 + 7 * n;
            let (month, day) = if day <= 31 {
                (3, day)
            } else if day <= 61 {
                (4, day - 31)
            } else {
                (5, day - 61)
            };
            lines.push_str(&format!(
                "o-{k}-{n},2026-{month:02}-{day:02}T20:00:00+08:00,{k},,oat-1kg,燕麦片,谷物,3990,1\n"
            ));
        }
    }
    std::fs::write(&csv, lines).unwrap();
    let data = dir.path().join("data");
    assert!(rekindle(&data, &["import", "--quiet", csv.to_str().unwrap()]).status.success());

    let out = rekindle(&data, &["score", "--as-of", "2026-06-30"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("12 scored"), "{text}");
    assert!(text.contains("BG/NBD") && text.contains("11 repeat"), "{text}");

    let out = rekindle(&data, &["score", "--as-of", "2026-06-30", "--csv"]);
    let rows: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(
        rows[0],
        "person,p_alive,expected_orders_30d,clv_fen,churn_risk,next_category,next_run_out_category,next_run_out"
    );
    assert_eq!(rows.len(), 13);

    // As of a day before anyone bought twice, there is nothing to fit.
    let early = rekindle(&data, &["score", "--as-of", "2026-03-05"]);
    assert_eq!(early.status.code(), Some(3), "{early:?}");
}

#[test]
fn people_are_exported_and_erased_only_when_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"type":"identify","userId":"42","traits":{"phone":"13812345678","nickname":"小李"},"timestamp":"2026-05-01T20:00:00+08:00"}"#,
            "\n",
            r#"{"type":"track","userId":"42","event":"Order Completed","properties":{"order_id":"o-1","revenue":39.9},"timestamp":"2026-05-02T20:00:00+08:00"}"#,
            "\n",
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    assert!(rekindle(&data, &["import", "--quiet", jsonl.to_str().unwrap()]).status.success());

    let exported = rekindle(&data, &["people", "export", "phone:13812345678"]);
    assert!(exported.status.success(), "{exported:?}");
    let doc: serde_json::Value = serde_json::from_slice(&exported.stdout).unwrap();
    assert_eq!(doc["person"]["traits"]["nickname"], "小李");
    assert_eq!(doc["records"]["events"].as_array().unwrap().len(), 2);

    // Without --yes and without the id typed (stdin closed), nothing is erased.
    let refused = rekindle(&data, &["people", "erase", "phone:13812345678"]);
    assert!(!refused.status.success());
    assert!(rekindle(&data, &["people", "show", "phone:13812345678"]).status.success(), "still there");

    let erased = rekindle(&data, &["people", "erase", "phone:13812345678", "--yes"]);
    assert!(erased.status.success(), "{erased:?}");
    let report: serde_json::Value = serde_json::from_slice(&erased.stdout).unwrap();
    assert_eq!(report["orders_kept"], 1);
    assert!(!rekindle(&data, &["people", "show", "phone:13812345678"]).status.success(), "gone");
    assert!(!rekindle(&data, &["people", "show", "user_id:42"]).status.success(), "gone");
}

#[test]
fn generate_says_the_store_options_do_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let help = String::from_utf8(Command::new(BIN).args(["generate", "--help"]).output().unwrap().stdout).unwrap();
    assert!(help.contains("Writes files only: the store options"), "{help}");
    let misdirected = Command::new(BIN)
        .args(["generate", "--people", "5", "--data-dir"])
        .arg(dir.path().join("store"))
        .arg("--out")
        .arg(dir.path().join("files"))
        .output()
        .unwrap();
    assert!(!misdirected.status.success());
    assert!(String::from_utf8_lossy(&misdirected.stderr).contains("--data-dir and --database-url do not apply"));
}

#[test]
fn an_operator_is_never_an_owner_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let refused = rekindle(dir.path(), &["users", "create", "someone@example.com"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--role"), "the error names the flag");
    let created = rekindle(dir.path(), &["users", "create", "someone@example.com", "--role", "analyst"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let listed = stdout(&rekindle(dir.path(), &["users", "list"]));
    assert!(listed.contains("someone@example.com") && listed.contains("analyst"), "{listed}");
}
