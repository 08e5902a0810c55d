//! Values crossing between the store and either engine.

use super::DbError;

/// A value read from or bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Any integer or boolean.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// Something that binds as a statement parameter.
pub trait Param {
    /// The value bound.
    fn value(&self) -> Value;
}

impl Param for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}
impl Param for i64 {
    fn value(&self) -> Value {
        Value::Int(*self)
    }
}
impl Param for i32 {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl Param for u32 {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl Param for bool {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl Param for str {
    fn value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl Param for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl Param for [u8] {
    fn value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

/// One result row.
#[derive(Debug, Clone)]
pub struct Row(pub(super) Vec<Value>);

impl Row {
    /// Column `i` as `T`.
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T, DbError> {
        let v = self.0.get(i).unwrap_or(&Value::Null);
        T::from_value(v).ok_or_else(|| DbError::Type {
            column: i,
            expected: std::any::type_name::<T>(),
            found: v.clone(),
        })
    }

    /// Column `i`'s bytes, without a copy.
    pub fn blob(&self, i: usize) -> Result<&[u8], DbError> {
        match self.0.get(i) {
            Some(Value::Blob(b)) => Ok(b),
            other => Err(DbError::Type {
                column: i,
                expected: "bytes",
                found: other.cloned().unwrap_or(Value::Null),
            }),
        }
    }

    /// Takes column `i`'s bytes out of the row.
    pub fn take_blob(&mut self, i: usize) -> Option<Vec<u8>> {
        match self.0.get_mut(i).map(|v| std::mem::replace(v, Value::Null)) {
            Some(Value::Blob(b)) => Some(b),
            _ => None,
        }
    }
}

/// A Rust type a column converts to.
pub trait FromValue: Sized {
    /// The value as `Self`, None if it is another type.
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromValue for i32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| i32::try_from(i).ok())
    }
}
impl FromValue for u32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).map(|i| i != 0)
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}
