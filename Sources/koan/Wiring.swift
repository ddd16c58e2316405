import KoanLang
import KoanLibrary

/// The interpreter every subcommand runs cells in: the language with the library's bindings.
func makeInterpreter() -> Interpreter { Interpreter(extensions: [KoanLibrary()]) }
