//! Importing dataset items from a file: CSV (with a header row), JSON Lines, or a JSON array of
//! objects. Each column (or key) is mapped to the item's input, expected output or metadata, or
//! ignored; a target with one column takes that column's value, a target with several takes an
//! object of them. Every row is checked against the dataset's JSON Schemas first, and the items
//! are written in one transaction: a file is imported whole or not at all.

use serde_json::{Map, Value};
use sightline_domain::ProjectId;
use sightline_store::{Dataset, Store};

use crate::services::datasets::{DatasetError, DatasetResult, ItemInput, Schemas, add_items};

/// The most rows one import takes.
pub const MAX_ROWS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// JSON Lines, or one JSON array of objects.
    Json,
}

impl Format {
    /// The format of `content` as named (`csv`, `jsonl`, `json`), or guessed from its first
    /// character when `auto`.
    pub fn pick(named: &str, content: &str) -> Format {
        match named {
            "csv" => Format::Csv,
            "json" | "jsonl" => Format::Json,
            _ if matches!(content.trim_start().chars().next(), Some('{' | '[')) => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// Where a column goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Input,
    ExpectedOutput,
    Metadata,
    Ignore,
}

impl Target {
    pub fn parse(raw: &str) -> Target {
        match raw {
            "input" => Target::Input,
            "expected_output" => Target::ExpectedOutput,
            "metadata" => Target::Metadata,
            _ => Target::Ignore,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Input => "input",
            Target::ExpectedOutput => "expected_output",
            Target::Metadata => "metadata",
            Target::Ignore => "ignore",
        }
    }

    /// The target a column is offered with: by its name; else the first column is the input
    /// and the others are metadata.
    pub fn guess(column: &str, index: usize) -> Target {
        let name = column.to_ascii_lowercase().replace(['-', ' '], "_");
        match name.as_str() {
            "input" | "question" | "prompt" | "query" => Target::Input,
            "expected_output" | "expectedoutput" | "expected" | "output" | "answer" | "label" => {
                Target::ExpectedOutput
            }
            "id" => Target::Ignore,
            _ if index == 0 => Target::Input,
            _ => Target::Metadata,
        }
    }
}

/// A parsed file: its columns in order, and each row's values by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Map<String, Value>>,
}

/// Why a file cannot be read, or which rows cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Unreadable(String),
    /// Rows (1-based, as a spreadsheet counts data rows) and what is wrong with each.
    #[error("{} rows do not fit the dataset", .0.len())]
    Rows(Vec<(usize, String)>),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
}

/// A CSV cell: a JSON object or array when it holds one, else the text.
fn cell(text: &str) -> Value {
    let trimmed = text.trim();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str::<Value>(trimmed)
    {
        return value;
    }
    Value::String(text.to_owned())
}

pub fn parse(format: Format, content: &str) -> Result<Table, ImportError> {
    let table = match format {
        Format::Csv => parse_csv(content)?,
        Format::Json => parse_json(content)?,
    };
    if table.rows.is_empty() {
        return Err(ImportError::Unreadable("The file has no rows.".into()));
    }
    if table.rows.len() > MAX_ROWS {
        return Err(ImportError::Unreadable(format!(
            "The file has {} rows; one import takes at most {MAX_ROWS}.",
            table.rows.len()
        )));
    }
    Ok(table)
}

fn parse_csv(content: &str) -> Result<Table, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(content.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Unreadable(format!("The CSV header cannot be read: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    if columns.iter().all(|c| c.trim().is_empty()) {
        return Err(ImportError::Unreadable(
            "The CSV file needs a header row naming its columns.".into(),
        ));
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            ImportError::Unreadable(format!("CSV row {} cannot be read: {e}", index + 1))
        })?;
        let row: Map<String, Value> = columns
            .iter()
            .zip(record.iter())
            .map(|(column, text)| (column.clone(), cell(text)))
            .collect();
        rows.push(row);
    }
    Ok(Table { columns, rows })
}

fn parse_json(content: &str) -> Result<Table, ImportError> {
    let trimmed = content.trim_start();
    let values: Vec<(usize, Value)> = if trimmed.starts_with('[') {
        let list: Vec<Value> = serde_json::from_str(trimmed)
            .map_err(|e| ImportError::Unreadable(format!("The JSON file cannot be read: {e}")))?;
        list.into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, v))
            .collect()
    } else {
        let mut values = Vec::new();
        for (index, line) in content.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value = serde_json::from_str(line).map_err(|e| {
                ImportError::Unreadable(format!("Line {} is not JSON: {e}", index + 1))
            })?;
            values.push((index + 1, value));
        }
        values
    };
    let mut columns: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (at, value) in values {
        let Value::Object(row) = value else {
            return Err(ImportError::Unreadable(format!(
                "Row {at} is not a JSON object; each row must be an object of columns."
            )));
        };
        for key in row.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        rows.push(row);
    }
    Ok(Table { columns, rows })
}

/// What a target takes from a row under `mapping` (`(column, target)` pairs).
fn gather(row: &Map<String, Value>, mapping: &[(String, Target)], target: Target) -> Option<Value> {
    let columns: Vec<&String> = mapping
        .iter()
        .filter(|(_, t)| *t == target)
        .map(|(c, _)| c)
        .collect();
    match columns.as_slice() {
        [] => None,
        [one] => row.get(*one).cloned().filter(|v| !v.is_null()),
        many => Some(Value::Object(
            many.iter()
                .map(|c| ((*c).clone(), row.get(*c).cloned().unwrap_or(Value::Null)))
                .collect(),
        )),
    }
}

/// The items the rows become: `(input, expected output, metadata)` per row.
pub fn plan(
    table: &Table,
    mapping: &[(String, Target)],
) -> Vec<(Option<Value>, Option<Value>, Option<Value>)> {
    table
        .rows
        .iter()
        .map(|row| {
            (
                gather(row, mapping, Target::Input),
                gather(row, mapping, Target::ExpectedOutput),
                gather(row, mapping, Target::Metadata),
            )
        })
        .collect()
}

/// Problems of the planned rows with the dataset's schemas (1-based row numbers).
pub fn check(
    dataset: &Dataset,
    planned: &[(Option<Value>, Option<Value>, Option<Value>)],
) -> DatasetResult<Vec<(usize, String)>> {
    let schemas = Schemas::of(dataset)?;
    let mut problems = Vec::new();
    for (index, (input, expected, _)) in planned.iter().enumerate() {
        if input.is_none() {
            problems.push((index + 1, "no input: map a column to the input".to_owned()));
            continue;
        }
        if let Err(error) = schemas.check(&format!("in row {}", index + 1), input, expected) {
            problems.push((index + 1, error.to_string()));
        }
    }
    Ok(problems)
}

/// Imports the rows into the dataset, all or none; returns how many items were created.
pub async fn import(
    store: &Store,
    project: &ProjectId,
    dataset: &Dataset,
    table: &Table,
    mapping: &[(String, Target)],
) -> Result<u64, ImportError> {
    let planned = plan(table, mapping);
    let problems = check(dataset, &planned)?;
    if !problems.is_empty() {
        return Err(ImportError::Rows(problems));
    }
    let items = planned
        .into_iter()
        .map(|(input, expected_output, metadata)| ItemInput {
            dataset_name: dataset.name.clone(),
            input,
            expected_output,
            metadata,
            ..ItemInput::default()
        })
        .collect();
    let count = add_items(store, project, &dataset.name, items).await?;
    tracing::info!(project = %project, dataset = %dataset.id, items = count, "dataset items imported");
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_and_json_lines_become_the_same_rows() {
        let csv = "question,answer,topic\n\"What is 2+2?\",4,math\n\"{\"\"q\"\": 1}\",x,misc\n";
        let table = parse(Format::pick("auto", csv), csv).unwrap();
        assert_eq!(table.columns, ["question", "answer", "topic"]);
        assert_eq!(table.rows[1]["question"], json!({"q": 1}));
        let jsonl = "{\"question\": \"What is 2+2?\", \"answer\": \"4\", \"topic\": \"math\"}\n\n{\"question\": {\"q\": 1}, \"answer\": \"x\", \"topic\": \"misc\"}\n";
        assert_eq!(parse(Format::pick("auto", jsonl), jsonl).unwrap(), table);

        let mapping: Vec<(String, Target)> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), Target::guess(c, i)))
            .collect();
        assert_eq!(
            mapping.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
            [Target::Input, Target::ExpectedOutput, Target::Metadata]
        );
        let planned = plan(&table, &mapping);
        assert_eq!(
            planned[0],
            (
                Some(json!("What is 2+2?")),
                Some(json!("4")),
                Some(json!("math"))
            )
        );
        // Two columns on one target make an object.
        let both = vec![
            ("question".to_owned(), Target::Input),
            ("topic".to_owned(), Target::Input),
        ];
        assert_eq!(
            plan(&table, &both)[0].0,
            Some(json!({"question": "What is 2+2?", "topic": "math"}))
        );
    }

    #[test]
    fn unreadable_files_say_where() {
        let bad = "{\"a\": 1}\nnot json\n";
        let error = parse(Format::Json, bad).unwrap_err().to_string();
        assert!(error.starts_with("Line 2 is not JSON"), "{error}");
        let ragged = "a,b\n1,2,3\n";
        assert!(
            parse(Format::Csv, ragged)
                .unwrap_err()
                .to_string()
                .starts_with("CSV row 1 cannot be read")
        );
        assert!(parse(Format::Json, "[1, 2]").is_err());
        assert_eq!(
            parse(Format::Csv, "a,b\n").unwrap_err().to_string(),
            "The file has no rows."
        );
    }
}
