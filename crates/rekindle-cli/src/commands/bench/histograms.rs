//! Reading the server's own histograms from its `/metrics` text (Prometheus text format): a
//! bench's figures of where the time went, beside the ones it measures from outside.

/// One line of a writer histogram of one file (`rekindle.db`, `runs.db`) by urgency: the exact
/// mean, and the buckets' p50 and p99.
pub(super) fn writer_times(text: &str, family: &str, file: &str) -> String {
    let times: Vec<String> = ["prompt", "normal", "patient"]
        .iter()
        .filter_map(|u| {
            let labels = format!("file=\"{file}\",urgency=\"{u}\"");
            let at = |q| labelled_bucket_quantile(text, family, &labels, q);
            let ms = |s: Option<f64>| s.map_or("?".into(), |s| format!("{:.1}", s * 1e3));
            // The mean is exact where the buckets, twice as wide each, are not.
            let sample = |what: &str| {
                let name = format!("{family}_{what}{{{labels}}} ");
                text.lines().find_map(|l| l.strip_prefix(name.as_str())).and_then(|v| v.trim().parse::<f64>().ok())
            };
            let mean = sample("sum").zip(sample("count")).map(|(sum, n)| sum / n.max(1.0));
            at(0.5).map(|_| format!("{u} mean {} ms, p50 ≤ {} ms, p99 ≤ {} ms", ms(mean), ms(at(0.5)), ms(at(0.99))))
        })
        .collect();
    times.join("; ")
}

/// The upper bound of the bucket in which quantile `q` of a Prometheus text-format histogram
/// falls (`None` without observations, or past the last finite bucket).
pub(super) fn bucket_quantile(text: &str, name: &str, q: f64) -> Option<f64> {
    labelled_bucket_quantile(text, name, "", q)
}

/// [`bucket_quantile`] of one series of a family, `labels` as the text format writes them
/// after the bucket's own (`urgency="prompt"`).
fn labelled_bucket_quantile(text: &str, name: &str, labels: &str, q: f64) -> Option<f64> {
    let prefix = format!("{name}_bucket{{le=\"");
    let labels = match labels {
        "" => "} ".to_owned(),
        l => format!(",{l}}} "),
    };
    let buckets: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .filter_map(|rest| {
            let (le, rest) = rest.split_once('"')?;
            let count = rest.strip_prefix(labels.as_str())?;
            Some((le.parse().ok()?, count.trim().parse().ok()?))
        })
        .collect();
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    buckets.iter().find(|(_, cumulative)| *cumulative >= q * total).map(|(le, _)| *le).filter(|le: &f64| le.is_finite())
}

#[cfg(test)]
mod tests {
    use super::{bucket_quantile, labelled_bucket_quantile, writer_times};

    #[test]
    fn quantiles_are_read_from_cumulative_buckets() {
        let text = "# TYPE x histogram\nx_sum 1.0\nx_count 10\nx_bucket{le=\"0.01\"} 4\nx_bucket{le=\"0.02\"} 9\nx_bucket{le=\"0.04\"} 10\nx_bucket{le=\"+Inf\"} 10\n";
        assert_eq!(bucket_quantile(text, "x", 0.4), Some(0.01));
        assert_eq!(bucket_quantile(text, "x", 0.5), Some(0.02));
        assert_eq!(bucket_quantile(text, "x", 0.99), Some(0.04));
        assert_eq!(bucket_quantile(text, "y", 0.5), None);
        let empty = "x_bucket{le=\"0.01\"} 0\nx_bucket{le=\"+Inf\"} 0\n";
        assert_eq!(bucket_quantile(empty, "x", 0.5), None);
    }

    #[test]
    fn a_family_s_series_is_read_by_its_labels() {
        // As prometheus-client writes a family's histogram: the bucket's label first.
        let text = "x_bucket{le=\"0.01\",u=\"a\"} 1\nx_bucket{le=\"0.02\",u=\"a\"} 10\nx_bucket{le=\"+Inf\",u=\"a\"} 10\n\
                    x_bucket{le=\"0.01\",u=\"b\"} 10\nx_bucket{le=\"+Inf\",u=\"b\"} 10\n";
        assert_eq!(labelled_bucket_quantile(text, "x", "u=\"a\"", 0.5), Some(0.02));
        assert_eq!(labelled_bucket_quantile(text, "x", "u=\"b\"", 0.5), Some(0.01));
        assert_eq!(labelled_bucket_quantile(text, "x", "u=\"c\"", 0.5), None);
        assert_eq!(labelled_bucket_quantile(text, "x", "", 0.5), None, "no series without labels");
    }

    #[test]
    fn a_writer_line_is_one_file_s() {
        let text = "w_bucket{le=\"0.001\",file=\"runs.db\",urgency=\"prompt\"} 2\n\
                    w_bucket{le=\"+Inf\",file=\"runs.db\",urgency=\"prompt\"} 2\n\
                    w_sum{file=\"runs.db\",urgency=\"prompt\"} 0.001\nw_count{file=\"runs.db\",urgency=\"prompt\"} 2\n\
                    w_bucket{le=\"0.1\",file=\"rekindle.db\",urgency=\"normal\"} 1\n\
                    w_bucket{le=\"+Inf\",file=\"rekindle.db\",urgency=\"normal\"} 1\n";
        assert_eq!(writer_times(text, "w", "runs.db"), "prompt mean 0.5 ms, p50 ≤ 1.0 ms, p99 ≤ 1.0 ms");
        assert_eq!(writer_times(text, "w", "rekindle.db"), "normal mean ? ms, p50 ≤ 100.0 ms, p99 ≤ 100.0 ms");
    }
}
