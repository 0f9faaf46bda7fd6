//! What the store sells: fresh and packaged food, each category with how long a pack lasts.

use chrono::{Datelike, NaiveDate};
/// A product category and how many days one standard pack lasts a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub name: &'static str,
    pub cycle_days: u32,
    /// Health / organic categories, which 健康生活家 prefer.
    pub healthy: bool,
}

pub const CATEGORIES: [Category; 10] = [
    Category { name: "乳品", cycle_days: 4, healthy: false },
    Category { name: "蛋", cycle_days: 7, healthy: false },
    Category { name: "水果", cycle_days: 5, healthy: true },
    Category { name: "有机蔬菜", cycle_days: 6, healthy: true },
    Category { name: "谷物", cycle_days: 21, healthy: true },
    Category { name: "粮油", cycle_days: 30, healthy: false },
    Category { name: "预制菜", cycle_days: 7, healthy: false },
    Category { name: "肉禽", cycle_days: 8, healthy: false },
    Category { name: "零食", cycle_days: 14, healthy: false },
    Category { name: "时令", cycle_days: 5, healthy: true },
];

/// A product as the simulator uses it; [`objects`] gives the store's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub sku: &'static str,
    pub name: &'static str,
    pub category: &'static str,
    /// Price in fen.
    pub price: i64,
    /// How many standard packs this is (a large pack lasts longer).
    pub pack_size: u32,
    pub tags: &'static [&'static str],
    /// Sold only in these months (1–12); empty means all year.
    pub months: &'static [u32],
}

impl Product {
    pub fn category(&self) -> &'static Category {
        CATEGORIES.iter().find(|c| c.name == self.category).unwrap_or(&CATEGORIES[0])
    }

    pub fn on_sale(&self, day: NaiveDate) -> bool {
        self.months.is_empty() || self.months.contains(&day.month())
    }
}

macro_rules! product {
    ($sku:literal, $name:literal, $cat:literal, $price:literal, $pack:literal, [$($tag:literal),*] $(, [$($m:literal),*])?) => {
        Product { sku: $sku, name: $name, category: $cat, price: $price, pack_size: $pack, tags: &[$($tag),*],
            months: &[$($($m),*)?] }
    };
}

pub const PRODUCTS: [Product; 24] = [
    product!("milk-950", "鲜牛奶 950ml", "乳品", 1590, 1, []),
    product!("milk-950x4", "鲜牛奶 950ml×4 家庭装", "乳品", 5690, 4, ["large_pack"]),
    product!("yogurt-a2", "A2 酸奶 6 杯", "乳品", 3290, 1, ["new"]),
    product!("egg-30", "散养土鸡蛋 30 枚", "蛋", 4500, 1, []),
    product!("egg-60", "散养土鸡蛋 60 枚 囤货装", "蛋", 8290, 2, ["large_pack"]),
    product!("apple-5kg", "阿克苏苹果 5kg", "水果", 6990, 2, ["large_pack"]),
    product!("orange-2kg", "赣南脐橙 2kg", "水果", 3990, 1, []),
    product!("kiwi-12", "佳沛金果 12 粒", "水果", 7990, 1, ["new"]),
    product!("veg-box", "有机蔬菜箱 3kg", "有机蔬菜", 6900, 1, ["organic"]),
    product!("spinach-org", "有机菠菜 500g", "有机蔬菜", 1890, 1, ["organic"]),
    product!("oat-1kg", "澳洲燕麦片 1kg", "谷物", 3990, 1, ["organic"]),
    product!("oat-3kg", "澳洲燕麦片 3kg 家庭装", "谷物", 9990, 3, ["organic", "large_pack"]),
    product!("quinoa", "三色藜麦 500g", "谷物", 2990, 1, ["organic", "new"]),
    product!("rice-5kg", "五常大米 5kg", "粮油", 8990, 1, []),
    product!("rice-10kg", "五常大米 10kg", "粮油", 16990, 2, ["large_pack"]),
    product!("oil-5l", "压榨花生油 5L", "粮油", 12900, 2, ["large_pack"]),
    product!("dumpling", "手工水饺 1kg", "预制菜", 3290, 1, ["prepared"]),
    product!("beef-stew", "番茄牛腩 600g", "预制菜", 4590, 1, ["prepared", "new"]),
    product!("pickled-fish", "酸菜鱼 1.2kg", "预制菜", 5990, 1, ["prepared"]),
    product!("chicken", "散养三黄鸡 1.5kg", "肉禽", 8800, 1, []),
    product!("beef-500", "谷饲牛腱 500g", "肉禽", 7990, 1, []),
    product!("nuts-daily", "每日坚果 30 袋", "零食", 12900, 2, ["large_pack"]),
    product!("strawberry", "红颜草莓 500g", "时令", 5990, 1, ["new"], [1, 2, 3, 4]),
    product!("lychee", "妃子笑荔枝 2.5kg", "时令", 8990, 1, ["new"], [5, 6, 7]),
];

/// The catalogue as the objects `rekindle import` loads.
pub fn objects() -> Vec<rekindle_core::objects::Product> {
    PRODUCTS
        .iter()
        .map(|p| rekindle_core::objects::Product {
            sku: p.sku.into(),
            name: p.name.into(),
            category: p.category.into(),
            price: p.price,
            pack_size: p.pack_size,
            tags: p.tags.iter().map(|t| t.to_string()).collect(),
            months: p.months.to_vec(),
        })
        .collect()
}
