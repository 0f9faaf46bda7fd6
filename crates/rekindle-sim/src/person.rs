//! A simulated person's latent traits: what the store cannot see but the truth records.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Gamma};
use serde::Serialize;

use crate::catalogue::CATEGORIES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Persona {
    /// 尝鲜探索家: tries new products.
    #[serde(rename = "尝鲜探索家")]
    Explorer,
    /// 家庭囤货王: large packs, price-sensitive.
    #[serde(rename = "家庭囤货王")]
    Stocker,
    /// 健康生活家: organic and health categories.
    #[serde(rename = "健康生活家")]
    Healthy,
    /// 懒人料理族: prepared food.
    #[serde(rename = "懒人料理族")]
    Convenience,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Wecom,
    Group,
    Live,
    Referral,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traits {
    pub persona: Persona,
    pub channel: Channel,
    /// Spontaneous orders per day while active, besides running out of things.
    pub purchase_rate: f64,
    /// Chance of leaving after each order (BG/NBD's p).
    pub dropout: f64,
    /// How much they like live sessions, 0–1.
    pub engagement: f64,
    /// How much price per pack decides what they buy, 0–1 (家庭囤货王 the most).
    pub price_sensitivity: f64,
    /// Weight per category index of [`CATEGORIES`].
    pub tastes: Vec<f64>,
    /// Preferred hour of day to shop (local time).
    pub hour: u32,
}

impl Traits {
    pub fn sample(rng: &mut ChaCha8Rng) -> Self {
        let persona = match rng.random_range(0..100) {
            0..20 => Persona::Explorer,
            20..50 => Persona::Stocker,
            50..75 => Persona::Healthy,
            _ => Persona::Convenience,
        };
        let channel = match rng.random_range(0..100) {
            0..40 => Channel::Wecom,
            40..60 => Channel::Group,
            60..85 => Channel::Live,
            _ => Channel::Referral,
        };
        let gamma = Gamma::new(2.0, 0.02).unwrap_or_else(|_| unreachable!("valid shape and scale"));
        let beta = Beta::new(1.6, 2.4).unwrap_or_else(|_| unreachable!("valid shape"));
        let engagement = Beta::new(2.0, 3.0).unwrap_or_else(|_| unreachable!("valid shape")).sample(rng);
        let tastes = CATEGORIES
            .iter()
            .map(|c| {
                let base: f64 = rng.random_range(0.2..1.0);
                let boost = match persona {
                    Persona::Healthy if c.healthy => 3.0,
                    Persona::Convenience if c.name == "预制菜" => 4.0,
                    Persona::Stocker if c.name == "粮油" || c.name == "蛋" => 2.0,
                    Persona::Explorer if c.name == "时令" || c.name == "水果" => 2.0,
                    _ => 1.0,
                };
                base * boost
            })
            .collect();
        let hour = [8, 12, 19, 20, 21][rng.random_range(0..5)];
        let (a, b) = if persona == Persona::Stocker { (5.0, 2.0) } else { (2.0, 4.0) };
        let price_sensitivity = Beta::new(a, b).unwrap_or_else(|_| unreachable!("valid shape")).sample(rng);
        Self {
            persona,
            channel,
            purchase_rate: gamma.sample(rng),
            dropout: beta.sample(rng),
            engagement,
            price_sensitivity,
            tastes,
            hour,
        }
    }
}
