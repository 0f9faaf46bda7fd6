//! Template parameters are ordered pairs; providers want them as a JSON object. serde_json's map
//! sorts its keys, so these write (and, for the stand-ins, read) objects in the given order.

use serde::ser::{Serialize, SerializeMap, Serializer};

/// `{"name": "value", …}` in order: Aliyun's TemplateParam, the webhook's "params".
pub(crate) struct Object<'a>(pub &'a [(String, String)]);

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `{"name": {"value": "…"}, …}` in order: the mini-program's "data".
pub(crate) struct Values<'a>(pub &'a [(String, String)]);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Value<'v> {
            value: &'v str,
        }
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, &Value { value: v })?;
        }
        map.end()
    }
}

/// Reads a JSON object into ordered pairs, keeping the sender's order; each value is given to
/// `leaf`, which returns the string it stands for, or None when it is not one.
#[cfg(feature = "standin")]
pub(crate) fn read_object(text: &str, leaf: fn(serde_json::Value) -> Option<String>) -> Option<Vec<(String, String)>> {
    use serde::de::{Deserializer, MapAccess, Visitor};

    struct Ordered;
    impl<'de> Visitor<'de> for Ordered {
        type Value = Vec<(String, serde_json::Value)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let entries = de.deserialize_map(Ordered).ok()?;
    entries.into_iter().map(|(k, v)| leaf(v).map(|v| (k, v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_the_given_order() {
        let params = vec![("zeta".to_string(), "1".to_string()), ("alpha".to_string(), "回流".to_string())];
        assert_eq!(serde_json::to_string(&Object(&params)).unwrap(), r#"{"zeta":"1","alpha":"回流"}"#);
        assert_eq!(
            serde_json::to_string(&Values(&params)).unwrap(),
            r#"{"zeta":{"value":"1"},"alpha":{"value":"回流"}}"#
        );
    }

    #[cfg(feature = "standin")]
    #[test]
    fn reading_keeps_the_order_and_refuses_non_strings() {
        let leaf = |v: serde_json::Value| v.as_str().map(str::to_string);
        let read = read_object(r#"{"b":"2","a":"1"}"#, leaf).unwrap();
        assert_eq!(read, vec![("b".into(), "2".into()), ("a".into(), "1".into())]);
        assert_eq!(read_object(r#"{"b":2}"#, leaf), None);
        assert_eq!(read_object("[1]", leaf), None);
    }
}
