//! One SQL interface over the two databases the server can keep its data in: an SQLite file
//! (the default, nothing to install) or a PostgreSQL server.
//!
//! Statements are written once, in the SQL both understand, with numbered parameters (`?1`,
//! `?2`, ...; turned into PostgreSQL's `$1`, `$2` on the way). Values cross as [`Value`]s, so the
//! code above sees one API whichever database answers. A [`Db`] lives on the store's writer
//! thread (PostgreSQL's client is not shared between threads here).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// Where the data lives: `--db vectrade.db` or `--db postgres://user@host:5432/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file, created on first start.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl Location {
    /// Reads `--db`: a `postgres://` or `postgresql://` URL, or else a file path.
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_string())
        } else {
            Location::Sqlite(PathBuf::from(text))
        }
    }
}

impl From<String> for Location {
    fn from(text: String) -> Self {
        Location::parse(&text)
    }
}

impl fmt::Display for Location {
    /// The file's path, or the URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                match rest.split_once('@') {
                    Some((user, host)) => {
                        let user = user.split_once(':').map_or(user, |(name, _)| name);
                        write!(f, "{scheme}://{user}@{host}")
                    }
                    None => write!(f, "{url}"),
                }
            }
        }
    }
}

/// One value going into or coming out of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (`INTEGER` in SQLite, `BIGINT` in PostgreSQL).
    Int(i64),
    /// A boolean (an integer 0 / 1 in SQLite).
    Bool(bool),
    /// A float.
    Real(f64),
    /// Text.
    Text(String),
}

/// A database failure.
#[derive(Debug)]
pub enum DbError {
    /// `query_row` found no row.
    NoRows,
    /// A uniqueness constraint refused the write (the message names it).
    Unique(String),
    /// A value could not be read as the type asked for, or a write refused by the code above.
    Other(String),
    /// The SQLite library's error.
    Sqlite(rusqlite::Error),
    /// The PostgreSQL client's error.
    Postgres(postgres::Error),
}

/// The result of a database call.
pub type DbResult<T> = Result<T, DbError>;

impl DbError {
    /// A failure of the code above (a write it refuses inside its transaction).
    pub fn other(message: impl Into<String>) -> DbError {
        DbError::Other(message.into())
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::NoRows => write!(f, "no row"),
            DbError::Unique(m) => write!(f, "{UNIQUE_VIOLATION}: {m}"),
            DbError::Other(m) => write!(f, "{m}"),
            DbError::Sqlite(e) => write!(f, "{e}"),
            DbError::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "{}", db.message()),
                None => write!(f, "{e}"),
            },
        }
    }
}

impl std::error::Error for DbError {}

/// How every backend's uniqueness failure begins, as text (so that a `StoreError` still tells it).
pub const UNIQUE_VIOLATION: &str = "UNIQUE constraint failed";

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => DbError::NoRows,
            rusqlite::Error::SqliteFailure(f, Some(m))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                DbError::Unique(m.trim_start_matches("UNIQUE constraint failed: ").to_string())
            }
            rusqlite::Error::SqliteFailure(f, m) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                DbError::Unique(m.unwrap_or_default())
            }
            e => DbError::Sqlite(e),
        }
    }
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        match e.code() {
            Some(c) if *c == postgres::error::SqlState::UNIQUE_VIOLATION => {
                let constraint =
                    e.as_db_error().and_then(|d| d.constraint()).unwrap_or("a unique constraint").to_string();
                DbError::Unique(constraint)
            }
            _ => DbError::Postgres(e),
        }
    }
}

/// `Option` for a row that may not be there, as rusqlite's `OptionalExtension`.
pub trait OptionalExt<T> {
    /// `Ok(None)` instead of [`DbError::NoRows`].
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExt<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A Rust value given as a statement parameter.
pub trait ToValue {
    /// The value as the database takes it.
    fn to_value(&self) -> Value;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                // Every integer the server stores fits an i64 (times in ms, counts, sequence numbers).
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_to_value!(i64, i32, u16, u32, u64, usize);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// The parameters of a statement: `args![a, b]`, an array of one type (`[&id]`), or a `Vec<Value>`.
pub trait Args {
    /// The values, in order (`?1` first).
    fn values(self) -> Vec<Value>;
}

impl<T: ToValue, const N: usize> Args for [T; N] {
    fn values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}

impl Args for Vec<Value> {
    fn values(self) -> Vec<Value> {
        self
    }
}

/// Parameters of mixed types: `args![id, at, text]` (each taken by reference).
#[macro_export]
macro_rules! args {
    () => { ::std::vec::Vec::<$crate::db::Value>::new() };
    ($($x:expr),+ $(,)?) => { vec![$($crate::db::ToValue::to_value(&$x)),+] };
}

/// A Rust type a column is read as.
pub trait FromValue: Sized {
    /// Converts, or says why not.
    fn from_value(value: Value) -> Result<Self, String>;
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, String> {
        Ok(value)
    }
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Int(n) => Ok(n),
            Value::Bool(b) => Ok(i64::from(b)),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, String> {
                let n = i64::from_value(value)?;
                <$t>::try_from(n).map_err(|_| format!("{n} is out of range for {}", stringify!($t)))
            }
        }
    )*};
}
int_from_value!(i32, u16, u32, u64, usize);

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Bool(b) => Ok(b),
            Value::Int(n) => Ok(n != 0),
            other => Err(format!("expected a boolean, found {other:?}")),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Real(x) => Ok(x),
            Value::Int(n) => Ok(n as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One row of a result.
pub enum Row<'a> {
    /// From SQLite.
    Sqlite(&'a rusqlite::Row<'a>),
    /// From PostgreSQL.
    Postgres(&'a postgres::Row),
}

impl Row<'_> {
    /// Column `idx` (from 0) as a `T`.
    pub fn get<T: FromValue>(&self, idx: usize) -> DbResult<T> {
        let value = match self {
            Row::Sqlite(r) => match r.get_ref(idx)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => Value::Int(n),
                rusqlite::types::ValueRef::Real(x) => Value::Real(x),
                rusqlite::types::ValueRef::Text(t) => Value::Text(
                    std::str::from_utf8(t).map_err(|e| DbError::other(format!("column {idx}: {e}")))?.to_string(),
                ),
                rusqlite::types::ValueRef::Blob(_) => {
                    return Err(DbError::other(format!("column {idx} holds a blob")));
                }
            },
            Row::Postgres(r) => pg::cell(r, idx)?,
        };
        T::from_value(value).map_err(|m| DbError::other(format!("column {idx}: {m}")))
    }
}

/// A connection to either database, used from one thread.
pub enum Db {
    /// SQLite.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL, with the statements it has prepared.
    Postgres(Box<RefCell<pg::Conn>>),
}

impl Db {
    /// Runs one statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: impl Args) -> DbResult<usize> {
        let values = args.values();
        match self {
            Db::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter().map(lite::Param)))?)
            }
            Db::Postgres(c) => c.borrow_mut().execute(sql, &values),
        }
    }

    /// Runs statements without parameters, separated by `;`.
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Db::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Db::Postgres(c) => Ok(c.borrow_mut().client.batch_execute(sql)?),
        }
    }

    /// The first row's `f`, or [`DbError::NoRows`].
    pub fn query_row<T>(&self, sql: &str, args: impl Args, f: impl FnOnce(&Row<'_>) -> DbResult<T>) -> DbResult<T> {
        let mut f = Some(f);
        let mut out = None;
        self.each(sql, args, |row| {
            if let Some(f) = f.take() {
                out = Some(f(row)?);
            }
            Ok(())
        })?;
        out.ok_or(DbError::NoRows)
    }

    /// `f` of every row, in order.
    pub fn query_map<T>(
        &self,
        sql: &str,
        args: impl Args,
        mut f: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        let mut out = Vec::new();
        self.each(sql, args, |row| {
            out.push(f(row)?);
            Ok(())
        })?;
        Ok(out)
    }

    fn each(&self, sql: &str, args: impl Args, mut f: impl FnMut(&Row<'_>) -> DbResult<()>) -> DbResult<()> {
        let values = args.values();
        match self {
            Db::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter().map(lite::Param)))?;
                while let Some(r) = rows.next()? {
                    f(&Row::Sqlite(r))?;
                }
                Ok(())
            }
            Db::Postgres(c) => {
                let rows = c.borrow_mut().query(sql, &values)?;
                rows.iter().try_for_each(|r| f(&Row::Postgres(r)))
            }
        }
    }

    /// Starts the transaction that a batch of writes commits together.
    pub fn begin(&self) -> DbResult<()> {
        match self {
            // IMMEDIATE: the write lock now, not at the first write (no busy error halfway).
            Db::Sqlite(_) => self.execute_batch("BEGIN IMMEDIATE"),
            Db::Postgres(_) => self.execute_batch("BEGIN"),
        }
    }
}

mod lite {
    use super::Value;
    use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};

    pub struct Param<'a>(pub &'a Value);

    impl ToSql for Param<'_> {
        fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
            Ok(ToSqlOutput::Borrowed(match self.0 {
                Value::Null => ValueRef::Null,
                Value::Int(n) => ValueRef::Integer(*n),
                Value::Bool(b) => ValueRef::Integer(i64::from(*b)),
                Value::Real(x) => ValueRef::Real(*x),
                Value::Text(s) => ValueRef::Text(s.as_bytes()),
            }))
        }
    }
}

/// The PostgreSQL side: its connection, the translation of placeholders, and values both ways.
pub mod pg {
    use super::{DbError, DbResult, HashMap, Value};
    use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
    use postgres::{Client, NoTls, Statement};

    /// A client and the statements it prepared (by their text in our dialect).
    pub struct Conn {
        /// The connection.
        pub client: Client,
        statements: HashMap<String, Statement>,
    }

    impl Conn {
        /// Connects (plain TCP or a Unix socket: the URL's `host`).
        pub fn connect(url: &str) -> DbResult<Conn> {
            let client = Client::connect(url, NoTls)?;
            Ok(Conn { client, statements: HashMap::new() })
        }

        fn statement(&mut self, sql: &str) -> DbResult<Statement> {
            if let Some(s) = self.statements.get(sql) {
                return Ok(s.clone());
            }
            let s = self.client.prepare(&placeholders(sql))?;
            self.statements.insert(sql.to_string(), s.clone());
            Ok(s)
        }

        pub(super) fn execute(&mut self, sql: &str, values: &[Value]) -> DbResult<usize> {
            let stmt = self.statement(sql)?;
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            let n = self.client.execute(&stmt, &params)?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        }

        pub(super) fn query(&mut self, sql: &str, values: &[Value]) -> DbResult<Vec<postgres::Row>> {
            let stmt = self.statement(sql)?;
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            Ok(self.client.query(&stmt, &params)?)
        }
    }

    /// `?N` → `$N` outside quoted text.
    pub fn placeholders(sql: &str) -> String {
        let mut out = String::with_capacity(sql.len());
        let mut quoted = false;
        for c in sql.chars() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    out.push(c);
                }
                '?' if !quoted => out.push('$'),
                _ => out.push(c),
            }
        }
        out
    }

    /// A cell as a [`Value`], by its column's type.
    pub(super) fn cell(row: &postgres::Row, idx: usize) -> DbResult<Value> {
        let ty = row.columns().get(idx).map(|c| c.type_().clone()).ok_or(DbError::other(format!("no column {idx}")))?;
        let v = match ty {
            Type::INT8 => row.try_get::<_, Option<i64>>(idx)?.map(Value::Int),
            Type::INT4 => row.try_get::<_, Option<i32>>(idx)?.map(|n| Value::Int(n.into())),
            Type::INT2 => row.try_get::<_, Option<i16>>(idx)?.map(|n| Value::Int(n.into())),
            Type::BOOL => row.try_get::<_, Option<bool>>(idx)?.map(Value::Bool),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(idx)?.map(Value::Real),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                row.try_get::<_, Option<String>>(idx)?.map(Value::Text)
            }
            other => {
                return Err(DbError::other(format!(
                    "column {idx} has the type {other}, which the server does not read"
                )));
            }
        };
        Ok(v.unwrap_or(Value::Null))
    }

    impl ToSql for Value {
        fn to_sql(
            &self,
            ty: &Type,
            out: &mut postgres::types::private::BytesMut,
        ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
            match (self, ty) {
                (Value::Null, _) => Ok(IsNull::Yes),
                (Value::Int(n), &Type::INT8) => n.to_sql(ty, out),
                (Value::Int(n), &Type::INT4) => i32::try_from(*n)?.to_sql(ty, out),
                (Value::Int(n), &Type::INT2) => i16::try_from(*n)?.to_sql(ty, out),
                (Value::Int(n), &Type::FLOAT8) => (*n as f64).to_sql(ty, out),
                (Value::Bool(b), &Type::BOOL) => b.to_sql(ty, out),
                (Value::Bool(b), &Type::INT8) => i64::from(*b).to_sql(ty, out),
                (Value::Real(x), &Type::FLOAT8) => x.to_sql(ty, out),
                (Value::Text(s), _) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
                (v, ty) => Err(format!("cannot send {v:?} as a PostgreSQL {ty}").into()),
            }
        }

        fn accepts(_: &Type) -> bool {
            true
        }

        to_sql_checked!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_outside_quotes() {
        assert_eq!(
            pg::placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?' AND d = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $12"
        );
    }

    #[test]
    fn locations_read_urls_and_paths_and_hide_passwords() {
        assert_eq!(Location::parse("vectrade.db"), Location::Sqlite("vectrade.db".into()));
        let pg = Location::parse("postgres://vt:hunter2@127.0.0.1:5432/vectrade");
        assert_eq!(pg, Location::Postgres("postgres://vt:hunter2@127.0.0.1:5432/vectrade".into()));
        assert_eq!(pg.to_string(), "postgres://vt@127.0.0.1:5432/vectrade");
    }

    #[test]
    fn sqlite_reads_and_writes_through_the_one_interface() {
        let db = Db::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        db.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, note TEXT)").unwrap();
        db.execute("INSERT INTO t (id, n, note) VALUES (?1, ?2, ?3)", args!["a", 7i64, None::<String>]).unwrap();
        let err = db.execute("INSERT INTO t (id, n) VALUES (?1, ?2)", args!["a", 1i64]).unwrap_err();
        assert!(matches!(err, DbError::Unique(_)), "{err:?}");
        assert!(err.to_string().starts_with(UNIQUE_VIOLATION));
        let (n, note): (i64, Option<String>) =
            db.query_row("SELECT n, note FROM t WHERE id = ?1", ["a"], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!((n, note), (7, None));
        assert!(
            db.query_row("SELECT n FROM t WHERE id = ?1", ["b"], |r| r.get::<i64>(0)).optional().unwrap().is_none()
        );
        let bad = db.query_row("SELECT note FROM t WHERE id = ?1", ["a"], |r| r.get::<String>(0)).unwrap_err();
        assert!(bad.to_string().contains("expected text"), "{bad}");
    }
}
