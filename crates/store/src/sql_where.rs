//! Filters built at run time for the read queries: conditions written with `{}` slots whose
//! values are only ever bound as parameters, numbered in order (`$n` on PostgreSQL, anonymous `?`
//! on SQLite — see `tracing_sql.rs` for why).

#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// A conjunction of conditions with their parameters.
pub(crate) struct Where {
    anonymous: bool,
    conditions: Vec<String>,
    pub(crate) params: Vec<Param>,
}

impl Where {
    /// `anonymous`: SQLite's `?` placeholders instead of PostgreSQL's `$n`.
    pub(crate) fn new(anonymous: bool) -> Self {
        Where {
            anonymous,
            conditions: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Whether this builds SQLite SQL (else PostgreSQL), for the few expressions that differ.
    pub(crate) fn is_sqlite(&self) -> bool {
        self.anonymous
    }

    fn placeholder(&mut self, param: Param) -> String {
        self.params.push(param);
        if self.anonymous {
            "?".to_owned()
        } else {
            format!("${}", self.params.len())
        }
    }

    /// Adds `template` with its `{}` replaced by `param`.
    pub(crate) fn push(&mut self, template: &str, param: Param) {
        self.push_all(template, vec![param]);
    }

    /// Adds `template` with each `{}` replaced by the next of `params`.
    pub(crate) fn push_all(&mut self, template: &str, params: Vec<Param>) {
        let mut sql = String::new();
        let mut params = params.into_iter();
        for (i, part) in template.split("{}").enumerate() {
            if i > 0 {
                let param = params.next().expect("one parameter per placeholder");
                let placeholder = self.placeholder(param);
                sql.push_str(&placeholder);
            }
            sql.push_str(part);
        }
        self.conditions.push(sql);
    }

    /// A condition without parameters (written in the code, never from input).
    pub(crate) fn push_const(&mut self, condition: &'static str) {
        self.conditions.push(condition.to_owned());
    }

    /// `column = value`.
    pub(crate) fn eq(&mut self, column: &str, value: &str) {
        self.push(&format!("{column} = {{}}"), Param::Text(value.to_owned()));
    }

    /// `column IN (…)` with one parameter per value; nothing when `values` is empty.
    pub(crate) fn push_in(&mut self, column: &str, values: &[String]) {
        if !values.is_empty() {
            let template = format!("{column} IN ({})", vec!["{}"; values.len()].join(", "));
            self.push_all(&template, values.iter().cloned().map(Param::Text).collect());
        }
    }

    /// `column IN (…)` of numbers; nothing when `values` is empty.
    pub(crate) fn push_in_float(&mut self, column: &str, values: &[f64]) {
        if !values.is_empty() {
            let template = format!("{column} IN ({})", vec!["{}"; values.len()].join(", "));
            self.push_all(
                &template,
                values.iter().copied().map(Param::Float).collect(),
            );
        }
    }

    /// The conditions joined with `AND`; `TRUE` when there are none.
    pub(crate) fn sql(&self) -> String {
        if self.conditions.is_empty() {
            "TRUE".to_owned()
        } else {
            self.conditions.join(" AND ")
        }
    }
}

/// Binds every parameter of a [`Where`] to a `sqlx` query (of any backend) in order.
macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                $crate::sql_where::Param::Text(text) => query.bind(text.clone()),
                $crate::sql_where::Param::Int(number) => query.bind(*number),
                $crate::sql_where::Param::Float(number) => query.bind(*number),
                $crate::sql_where::Param::Bool(flag) => query.bind(*flag),
            };
        }
        query
    }};
}

pub(crate) use bind_all;

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
