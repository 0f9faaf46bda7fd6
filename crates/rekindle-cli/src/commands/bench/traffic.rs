//! Realistic ingestion traffic for a fresh-food live room: heartbeats while watching,
//! comments and questions, likes and shares, orders with line items, identifies that bring
//! openids and phones. Deterministic for a seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const PRODUCTS: [(&str, &str, &str, i64); 8] = [
    ("oat-1kg", "澳洲燕麦片 1kg", "谷物", 3990),
    ("milk-950", "鲜牛奶 950ml", "乳品", 1590),
    ("egg-30", "散养土鸡蛋 30枚", "蛋", 4500),
    ("straw-500", "红颜草莓 500g", "水果", 5990),
    ("rice-5kg", "五常大米 5kg", "粮油", 8990),
    ("veg-box", "有机蔬菜箱", "蔬菜", 6900),
    ("dumpling", "手工水饺 1kg", "预制菜", 3290),
    ("beef-500", "谷饲牛腱 500g", "肉", 7990),
];

pub struct Traffic {
    rng: StdRng,
    people: usize,
    run: String,
    next: u64,
}

impl Traffic {
    pub fn new(seed: u64, people: usize, run: &str) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), people: people.max(1), run: run.to_string(), next: 0 }
    }

    /// One `/v1/batch` body of `n` messages, as a client library would send it.
    pub fn batch(&mut self, n: usize) -> Vec<u8> {
        let batch: Vec<Value> = (0..n).map(|_| self.message()).collect();
        serde_json::to_vec(&json!({"batch": batch, "sentAt": chrono::Utc::now().to_rfc3339()})).unwrap_or_default()
    }

    fn message(&mut self) -> Value {
        self.next += 1;
        let person = self.rng.random_range(0..self.people);
        // Client libraries send random UUIDs: the de-duplication index sees random keys.
        let message_id = format!("{}-{:032x}", self.run, self.rng.random::<u128>());
        let session = format!("live-{}", self.rng.random_range(0..40));
        let ts = chrono::Utc::now().to_rfc3339();
        let context = json!({"library": {"name": "analytics-miniprogram", "version": "1.4.0"}, "app": {"name": "鲜果社团购"},
            "ip": "127.0.0.1", "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.44"});
        let mut m = match self.rng.random_range(0..100) {
            0..=54 => {
                json!({"type": "track", "event": "Live Watched", "properties": {"session_id": session, "seconds": 30}})
            }
            55..=69 => json!({"type": "track", "event": "Live Commented", "properties": {"session_id": session,
                "text": "这个燕麦片是哪里产的？可以发冷链吗", "is_question": self.rng.random_bool(0.3)}}),
            70..=77 => json!({"type": "track", "event": "Live Liked", "properties": {"session_id": session}}),
            78..=81 => json!({"type": "track", "event": "Live Shared", "properties": {"session_id": session}}),
            82..=87 => json!({"type": "track", "event": "Live Entered", "properties": {"session_id": session}}),
            88..=94 => self.order(&session),
            _ => json!({"type": "identify", "traits": {"wechat_openid": format!("o_{person}"),
                "phone": format!("139{:08}", person), "nickname": "小鹿", "city": "杭州"}}),
        };
        m["messageId"] = json!(message_id);
        m["timestamp"] = json!(ts);
        m["context"] = context;
        // Most traffic is from known members; some from anonymous devices before login.
        if self.rng.random_bool(0.85) {
            m["userId"] = json!(format!("u{person}"));
        } else {
            m["anonymousId"] = json!(format!("anon-{person}"));
        }
        m
    }

    fn order(&mut self, session: &str) -> Value {
        let lines = self.rng.random_range(1..=3);
        let mut revenue = 0;
        let products: Vec<Value> = (0..lines)
            .map(|_| {
                let (sku, name, category, price) = PRODUCTS[self.rng.random_range(0..PRODUCTS.len())];
                let quantity = self.rng.random_range(1..=3);
                revenue += price * quantity;
                json!({"sku": sku, "name": name, "category": category, "price": price, "quantity": quantity})
            })
            .collect();
        json!({"type": "track", "event": "Order Completed", "properties": {"order_id": format!("{}-o{}", self.run, self.next),
            "revenue": revenue, "currency": "CNY", "products": products, "session_id": session}})
    }
}
