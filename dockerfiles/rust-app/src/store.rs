//! An in-memory store: enough for a service the benchmark builds, not runs.

use anyhow::{ensure, Result};
use serde::{Deserialize, Serialize};

/// What a client may send to create a todo.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTodo {
    pub title: String,
    #[serde(default)]
    pub done: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Todo {
    pub id: u64,
    pub title: String,
    pub done: bool,
}

#[derive(Default)]
pub struct Store {
    next: u64,
    items: Vec<Todo>,
}

impl Store {
    pub fn list(&self) -> Vec<Todo> {
        self.items.clone()
    }

    pub fn add(&mut self, new: NewTodo) -> Result<Todo> {
        let title = new.title.trim();
        ensure!(!title.is_empty() && title.len() <= 200, "title must have 1 to 200 characters");
        self.next += 1;
        let todo = Todo { id: self.next, title: title.to_string(), done: new.done };
        self.items.push(todo.clone());
        Ok(todo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_and_lists() {
        let mut s = Store::default();
        let t = s.add(NewTodo { title: " a ".into(), done: false }).unwrap();
        assert_eq!((t.id, t.title.as_str()), (1, "a"));
        assert_eq!(s.list().len(), 1);
        assert!(s.add(NewTodo { title: "  ".into(), done: true }).is_err());
    }
}
