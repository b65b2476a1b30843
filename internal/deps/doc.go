// Package deps holds no code: its test keeps the module's import graph as
// the README's "How it is built" says it runs (cmd → the libraries →
// trace), by checking every package's direct imports against one table.
package deps
