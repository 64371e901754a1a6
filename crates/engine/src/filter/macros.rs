//! Macro and list definitions the compiler resolves names against.
//!
//! Falco substitutes lists textually before parsing; we expand them on the tree instead, with the
//! same reach: a *bare* value inside a parenthesised list (`proc.name in (a, shell_binaries)`)
//! that names a list is replaced by the list's items. A quoted value, a value outside
//! parentheses (`proc.name = shell_binaries`) or an identifier after `in` (`in shell_binaries`)
//! stays literal text. Macros are resolved on the tree as in Falco: every identifier is replaced
//! by the macro's parsed condition.

use std::collections::HashMap;

use super::ast::Ast;

/// Looks up macros and lists by name. Visibility rules (a macro body seeing only earlier macros)
/// belong to the implementor.
pub trait MacroResolver {
    /// The parsed condition of the macro `name`.
    fn macro_ast(&self, name: &str) -> Option<&Ast>;

    /// The items of the list `name`. An item that is itself a list name is expanded in turn;
    /// an item written in quotes (`'"a b"'`) is un-escaped like a quoted filter value.
    fn list_items(&self, name: &str) -> Option<&[String]> {
        let _ = name;
        None
    }
}

/// A simple map of macros and lists.
#[derive(Debug, Clone, Default)]
pub struct Macros {
    macros: HashMap<String, Ast>,
    lists: HashMap<String, Vec<String>>,
}

impl Macros {
    /// No macros, no lists.
    pub fn new() -> Macros {
        Macros::default()
    }

    /// Defines (or replaces) a macro.
    pub fn insert_macro(&mut self, name: impl Into<String>, condition: Ast) {
        self.macros.insert(name.into(), condition);
    }

    /// Defines (or replaces) a list.
    pub fn insert_list(&mut self, name: impl Into<String>, items: Vec<String>) {
        self.lists.insert(name.into(), items);
    }
}

impl MacroResolver for Macros {
    fn macro_ast(&self, name: &str) -> Option<&Ast> {
        self.macros.get(name)
    }

    fn list_items(&self, name: &str) -> Option<&[String]> {
        self.lists.get(name).map(Vec::as_slice)
    }
}
