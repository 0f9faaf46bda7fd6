//! `item_set` and `item_delete`: Sensors' item records, kept as products of the catalogue.

use serde_json::{Map, Value, json};

use super::identities::scalar;
use crate::objects::Product;
use crate::{Fen, FieldError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    Set(Product),
    /// Remove the product with this SKU.
    Delete(String),
}

/// An item record as a catalogue change; `None` for any other record. Every `item_type`
/// describes products: the item's id is the SKU.
pub(super) fn translate(kind: &str, record: &Map<String, Value>) -> Result<Option<ItemChange>, FieldError> {
    if kind != "item_set" && kind != "item_delete" {
        return Ok(None);
    }
    match record.get("item_type") {
        Some(v) if scalar(v).is_some() => {}
        _ => return Err(FieldError::new("item_type", "is required")),
    }
    let sku = record.get("item_id").and_then(scalar).ok_or_else(|| FieldError::new("item_id", "is required"))?;
    if kind == "item_delete" {
        return Ok(Some(ItemChange::Delete(sku)));
    }
    let properties = match record.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(FieldError::new("properties", "must be an object")),
    };
    let text = |key: &str| properties.get(key).and_then(scalar);
    // Like event amounts, an item's price is yuan; the catalogue keeps fen.
    let price = match properties.get("price") {
        None | Some(Value::Null) => 0,
        Some(v) => Fen::from_yuan(v).map_err(|e| FieldError::new("properties.price", e.to_string()))?.get(),
    };
    let mut product = json!({
        "sku": sku,
        "name": text("name").or_else(|| text("item_name")).unwrap_or_else(|| sku.clone()),
        "category": text("category").unwrap_or_else(|| record.get("item_type").and_then(scalar).unwrap_or_default()),
        "price": price,
    });
    for key in ["pack_size", "tags", "months"] {
        if let Some(v) = properties.get(key) {
            product[key] = v.clone();
        }
    }
    let product = Product::parse(&product)
        .map_err(|e| if e.field == "sku" { FieldError::new("item_id", e.reason) } else { e.within("properties") })?;
    Ok(Some(ItemChange::Set(product)))
}
