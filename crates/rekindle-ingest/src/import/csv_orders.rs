use std::io::Read;

use chrono::{DateTime, Utc};
use rekindle_core::message::Arrival;
use rekindle_core::money::{Fen, MAX_FEN};
use rekindle_core::time::parse_timestamp;
use rekindle_core::{FieldError, Message, MessageKind};
use serde_json::{Map, Value, json};

use super::{Item, LineError, LineReader, LineResult};
use rekindle_core::events;

/// The columns of an orders CSV (docs/import.md). One row per line item; the rows of one order
/// are consecutive and become one `Order Completed` event. Money is integer fen (`price_fen`),
/// written into the event in yuan as the event contract says ([`Fen::to_yuan_number`]).
pub const CSV_COLUMNS: [&str; 13] = [
    "order_id",
    "timestamp",
    "user_id",
    "phone",
    "anonymous_id",
    "wechat_openid",
    "sku",
    "name",
    "category",
    "price_fen",
    "quantity",
    "coupon",
    "session_id",
];
const REQUIRED: [&str; 5] = ["order_id", "timestamp", "sku", "price_fen", "quantity"];

struct Row {
    line: u64,
    fields: Map<String, Value>,
}

pub struct OrdersCsv<R: Read> {
    reader: csv::Reader<R>,
    columns: Vec<String>,
    pending: Vec<Row>,
    header_error: Option<LineError>,
    done: bool,
    received_at: DateTime<Utc>,
}

impl<R: Read> OrdersCsv<R> {
    pub fn new(reader: R, received_at: DateTime<Utc>) -> Self {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(reader);
        let (columns, header_error) = match reader.headers() {
            Ok(h) => {
                let columns: Vec<String> = h.iter().map(str::to_string).collect();
                let missing = REQUIRED.iter().find(|c| !columns.iter().any(|h| h == *c));
                let unknown = columns.iter().find(|h| !CSV_COLUMNS.contains(&h.as_str()));
                let err = match (missing, unknown) {
                    (Some(m), _) => Some(FieldError::new(*m, "required column is missing from the header")),
                    (_, Some(u)) => Some(FieldError::new(
                        u.as_str(),
                        format!("unknown column; expected {}", CSV_COLUMNS.join(", ")),
                    )),
                    _ => None,
                };
                (columns, err.map(|e| LineError::new(1, e)))
            }
            Err(e) => (Vec::new(), Some(LineError::new(1, FieldError::new("", format!("unreadable header: {e}"))))),
        };
        Self { reader, columns, pending: Vec::new(), header_error, done: false, received_at }
    }

    fn read_row(&mut self) -> Option<Result<Row, LineError>> {
        let mut record = csv::StringRecord::new();
        match self.reader.read_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                let fields = self
                    .columns
                    .iter()
                    .zip(record.iter())
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
                    .collect();
                Some(Ok(Row { line, fields }))
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                Some(Err(LineError::new(line, FieldError::new("", e.to_string()))))
            }
        }
    }

    fn finish_order(&mut self) -> Option<LineResult> {
        if self.pending.is_empty() {
            return None;
        }
        let rows = std::mem::take(&mut self.pending);
        Some(order_message(&rows, self.received_at).map(Item::Message))
    }
}

impl<R: Read> Iterator for OrdersCsv<R> {
    type Item = LineResult;

    fn next(&mut self) -> Option<LineResult> {
        if let Some(e) = self.header_error.take() {
            self.done = true;
            return Some(Err(e));
        }
        while !self.done {
            match self.read_row() {
                None => {
                    self.done = true;
                    return self.finish_order();
                }
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(row)) => {
                    let same = self
                        .pending
                        .first()
                        .is_none_or(|first| first.fields.get("order_id") == row.fields.get("order_id"));
                    if same {
                        self.pending.push(row);
                    } else {
                        let done = self.finish_order();
                        self.pending.push(row);
                        return done;
                    }
                }
            }
        }
        None
    }
}

impl<R: Read + Send> LineReader for OrdersCsv<R> {
    fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }
}

fn text<'a>(row: &'a Row, column: &str) -> Option<&'a str> {
    row.fields.get(column).and_then(Value::as_str)
}

fn integer(row: &Row, column: &str, min: i64) -> Result<i64, LineError> {
    let raw = text(row, column).ok_or_else(|| LineError::new(row.line, FieldError::new(column, "is required")))?;
    match raw.parse::<i64>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(LineError::new(
            row.line,
            FieldError::new(column, format!("must be a whole number ≥ {min}, got {raw:?}")),
        )),
    }
}

fn order_message(rows: &[Row], received_at: DateTime<Utc>) -> Result<Message, LineError> {
    let first = &rows[0];
    let line = first.line;
    for column in REQUIRED {
        if let Some(row) = rows.iter().find(|r| text(r, column).is_none()) {
            return Err(LineError::new(row.line, FieldError::new(column, "is required")));
        }
    }
    let order_id = text(first, "order_id").unwrap_or_default();
    let timestamp = text(first, "timestamp").unwrap_or_default();
    parse_timestamp(timestamp).map_err(|r| LineError::new(line, FieldError::new("timestamp", r)))?;
    let mut products = Vec::with_capacity(rows.len());
    let mut revenue: i64 = 0;
    for row in rows {
        let price = integer(row, "price_fen", 0)?;
        let price = Fen::new(price).ok_or_else(|| {
            LineError::new(row.line, FieldError::new("price_fen", format!("must be at most {MAX_FEN} fen")))
        })?;
        let quantity = integer(row, "quantity", 1)?;
        revenue = price
            .get()
            .checked_mul(quantity)
            .and_then(|v| revenue.checked_add(v))
            .filter(|r| *r <= MAX_FEN)
            .ok_or_else(|| {
                LineError::new(
                    row.line,
                    FieldError::new("price_fen", format!("the order's total is above {MAX_FEN} fen")),
                )
            })?;
        let mut product = json!({"sku": text(row, "sku"), "price": price.to_yuan_number(), "quantity": quantity});
        for optional in ["name", "category"] {
            if let Some(v) = text(row, optional) {
                product[optional] = json!(v);
            }
        }
        products.push(product);
    }
    let revenue = Fen::new(revenue).unwrap_or_default().to_yuan_number();
    let mut properties = json!({"order_id": order_id, "revenue": revenue, "currency": "CNY", "products": products});
    for optional in ["coupon", "session_id"] {
        if let Some(v) = text(first, optional) {
            properties[optional] = json!(v);
        }
    }
    let mut traits = Map::new();
    for id in ["phone", "wechat_openid"] {
        if let Some(v) = text(first, id) {
            traits.insert(id.into(), json!(v));
        }
    }
    let message = json!({
        "type": "track",
        "event": events::ORDER_COMPLETED,
        "messageId": format!("order-completed-{order_id}"),
        "userId": text(first, "user_id"),
        "anonymousId": text(first, "anonymous_id"),
        "timestamp": timestamp,
        "properties": properties,
        "context": {"traits": traits, "library": {"name": "rekindle-import", "version": env!("CARGO_PKG_VERSION")}},
    });
    let Value::Object(object) = message else { unreachable!("built as an object") };
    let arrival = Arrival { historical: true, ..Arrival::live(received_at) };
    let source = format!("order-completed-{order_id}");
    let field_for = |f: String| match f.as_str() {
        "userId" => "user_id".to_string(),
        "anonymousId" => "anonymous_id".to_string(),
        "context.traits.phone" => "phone".to_string(),
        "context.traits.wechat_openid" => "wechat_openid".to_string(),
        _ => f,
    };
    Message::from_object(object, Some(MessageKind::Track), &arrival, source.as_bytes())
        .map_err(|e| LineError::new(line, FieldError::new(field_for(e.field), e.reason)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "order_id,timestamp,user_id,phone,sku,name,category,price_fen,quantity\n";

    fn read(body: &str) -> Vec<LineResult> {
        OrdersCsv::new(format!("{HEADER}{body}").as_bytes(), Utc::now()).collect()
    }

    #[test]
    fn consecutive_rows_make_one_order_with_line_items() {
        let out = read(
            "o1,2026-05-01T20:00:00+08:00,u1,138 1234 5678,oat-1kg,燕麦片,谷物,3990,2\n\
             o1,2026-05-01T20:00:00+08:00,u1,138 1234 5678,milk-1l,鲜牛奶,乳品,1290,1\n\
             o2,2026-05-02T20:00:00+08:00,u2,,egg-30,土鸡蛋,蛋,4500,1\n",
        );
        assert_eq!(out.len(), 2);
        let Ok(Item::Message(o1)) = &out[0] else { panic!("an order") };
        assert_eq!(o1.name.as_deref(), Some("Order Completed"));
        assert_eq!(o1.message_id, "order-completed-o1");
        let payload = o1.payload_value();
        let props = &payload["properties"];
        assert_eq!(props["revenue"], 92.7, "yuan, as the event contract says");
        assert_eq!(payload[rekindle_core::money::ANNOTATION]["fen"]["revenue"], 3990 * 2 + 1290);
        assert_eq!(payload[rekindle_core::money::ANNOTATION]["fen"]["products[1].price"], 1290);
        assert_eq!(props["products"].as_array().unwrap().len(), 2);
        assert_eq!(props["products"][0]["name"], "燕麦片");
        assert!(o1.identifiers.iter().any(|i| i.value == "+8613812345678"));
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_column() {
        let out = read(
            "o1,2026-05-01T20:00:00+08:00,u1,,oat,燕麦片,谷物,abc,1\n\
             o2,2026-05-01T20:00:00,u1,,oat,燕麦片,谷物,100,1\n\
             o3,2026-05-01T20:00:00Z,,,oat,燕麦片,谷物,100,1\n",
        );
        let errs: Vec<(u64, String)> = out.into_iter().map(|r| r.unwrap_err()).map(|e| (e.line, e.field)).collect();
        assert_eq!(errs, [(2, "price_fen".into()), (3, "timestamp".into()), (4, "user_id".into())]);
    }

    #[test]
    fn amounts_above_the_bound_are_refused_by_line() {
        let out = read(
            "o1,2026-05-01T20:00:00Z,u1,,oat,燕麦片,谷物,1000000001,1\n\
             o2,2026-05-01T20:00:00Z,u1,,oat,燕麦片,谷物,600000000,1\n\
             o2,2026-05-01T20:00:00Z,u1,,egg,鸡蛋,蛋,500000000,1\n\
             o3,2026-05-01T20:00:00Z,u1,,oat,燕麦片,谷物,5000000,201\n",
        );
        let errs: Vec<(u64, String)> = out.into_iter().map(|r| r.unwrap_err()).map(|e| (e.line, e.field)).collect();
        assert_eq!(errs, [(2, "price_fen".into()), (4, "price_fen".into()), (5, "price_fen".into())]);
    }

    #[test]
    fn a_header_without_required_columns_is_refused() {
        let out: Vec<LineResult> = OrdersCsv::new("order_id,sku\no1,x\n".as_bytes(), Utc::now()).collect();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].as_ref().unwrap_err().field, "timestamp");
    }
}
