import SwiftSyntax

/// Lowering of functions, closures, types, `switch` patterns, and the refusal of
/// declarations Koan does not support.
extension Lowerer {
    // MARK: Functions

    func lowerFunctionDecl(_ f: FunctionDeclSyntax) throws -> Stmt {
        try refuseAttributes(f.attributes, f.modifiers)
        if let g = f.genericParameterClause {
            throw unsupported("generic functions ('func \(f.name.text)\(g.trimmedDescription)') are not supported in Koan", g)
        }
        if let w = f.genericWhereClause { throw unsupported("'where' clauses on functions are not supported in Koan", w) }
        guard case .identifier(let name) = f.name.tokenKind else {
            throw unsupported("operator functions are not supported in Koan", f.name)
        }
        guard let body = f.body else { throw failure(.type, "function '\(name)' requires a body", f) }
        try refuseEffects(f.signature.effectSpecifiers)
        // Declared before its body is lowered, so the function can call itself.
        let target = try declareTarget(name, isLet: true, type: nil, at: f.name, forceLocal: false)
        let def = UserFunction(name: name, isClosure: false, span: span(f.name))
        let closure = try lowerFunctionBody(def, span: span(f.name)) {
            def.params = try f.signature.parameterClause.parameters.map(lowerParameter)
            def.returnType = try f.signature.returnClause.map { try lowerType($0.type) }
            scope.returnType = def.returnType
            return try lowerBody(body.statements)
        }
        return DeclareFunction(target, closure, span: span(f.name))
    }

    private func refuseEffects(_ effects: FunctionEffectSpecifiersSyntax?) throws {
        if let a = effects?.asyncSpecifier { throw unsupported("'async' functions are not supported in Koan", a) }
        if let t = effects?.throwsClause {
            throw unsupported("'throws' is not supported in Koan (Koan code does not throw errors)", t)
        }
    }

    private func lowerParameter(_ p: FunctionParameterSyntax) throws -> Param {
        try refuseAttributes(p.attributes, p.modifiers)
        if let attributed = p.type.as(AttributedTypeSyntax.self), attributed.specifiers.contains(where: {
            $0.trimmedDescription == "inout"
        }) {
            throw unsupported("inout parameters are not supported in Koan", p.type)
        }
        let first = p.firstName.text
        let name = p.secondName?.text ?? first
        let type = try lowerType(p.type)
        let variadic = p.ellipsis != nil
        let defaultValue = try p.defaultValue.map { try lowerExpr($0.value, expecting: type) }
        if name != "_", scope.isDeclaredInCurrentBlock(name) {
            throw failure(.type, "invalid redeclaration of '\(name)'", p)
        }
        let local = scope.declare(name, isLet: true, type: variadic ? .array(type) : type)
        return Param(label: first == "_" ? nil : first, name: name, type: variadic ? nil : type,
                     defaultValue: defaultValue, defaultText: p.defaultValue?.value.trimmedDescription,
                     variadic: variadic, local: local)
    }

    /// Lowers statements of a body; a body of one expression returns its value.
    private func lowerBody(_ items: CodeBlockItemListSyntax) throws -> Block {
        if items.count == 1, let item = items.first {
            var expr: ExprSyntax?
            if case .expr(let e) = item.item { expr = e }
            if case .stmt(let st) = item.item, let es = st.as(ExpressionStmtSyntax.self) { expr = es.expression }
            if let e = expr, !e.is(IfExprSyntax.self), !e.is(SwitchExprSyntax.self) {
                let lowered = try lowerExpr(e, expecting: scope.returnType)
                return Block([Return(lowered, span: lowered.span)], span: span(items))
            }
        }
        return try lowerBlock(items, span: span(items))
    }

    /// Lowers a function in a new function scope and builds the closure creation node.
    private func lowerFunctionBody(_ def: UserFunction, span s: Span, isClosure: Bool = false,
                                   _ build: () throws -> Block) throws -> MakeClosure {
        let inner = FunctionScope(parent: scope, isTopLevel: false, isClosure: isClosure)
        let outer = scope
        scope = inner
        defer { scope = outer }
        def.body = try build()
        if isClosure, !inner.implicitParameters.isEmpty {
            let count = (inner.implicitParameters.keys.max() ?? 0) + 1
            def.params = (0..<count).map { n in
                let local = inner.implicitParameters[n] ?? inner.declare("$\(n)", isLet: true, type: nil)
                return Param(label: nil, name: "$\(n)", type: nil, defaultValue: nil, defaultText: nil,
                             variadic: false, local: local)
            }
            def.implicitParameters = true
        }
        def.slotCount = inner.slotCount
        def.captureSlots = inner.captures.map(\.inner.slot)
        return MakeClosure(def, captured: inner.captures.map(\.outer), span: s)
    }

    func lowerClosure(_ c: ClosureExprSyntax) throws -> Expr {
        let def = UserFunction(name: "closure", isClosure: true, span: span(c))
        if let capture = c.signature?.capture {
            throw unsupported("closure capture lists are not supported in Koan", capture)
        }
        if let a = c.signature?.effectSpecifiers?.asyncSpecifier {
            throw unsupported("'async' closures are not supported in Koan", a)
        }
        if let t = c.signature?.effectSpecifiers?.throwsClause {
            throw unsupported("'throws' is not supported in Koan (Koan code does not throw errors)", t)
        }
        if let a = c.signature?.attributes.first {
            throw unsupported("attributes ('\(a.trimmedDescription)') are not supported in Koan", a)
        }
        return try lowerFunctionBody(def, span: span(c), isClosure: true) {
            switch c.signature?.parameterClause {
            case .simpleInput(let names)?:
                def.params = names.map { n in
                    Param(label: nil, name: n.name.text, type: nil, defaultValue: nil, defaultText: nil,
                          variadic: false, local: scope.declare(n.name.text, isLet: true, type: nil))
                }
            case .parameterClause(let clause)?:
                def.params = try clause.parameters.map { p in
                    let name = p.secondName?.text ?? p.firstName.text
                    let type = try p.type.map(lowerType)
                    return Param(label: nil, name: name, type: type, defaultValue: nil, defaultText: nil,
                                 variadic: p.ellipsis != nil, local: scope.declare(name, isLet: true, type: type))
                }
            case nil: break
            }
            def.returnType = try c.signature?.returnClause.map { try lowerType($0.type) }
            scope.returnType = def.returnType
            return try lowerBody(c.statements)
        }
    }

    // MARK: Types

    func lowerType(_ t: TypeSyntax) throws -> TypeAnn {
        switch t.as(TypeSyntaxEnum.self) {
        case .identifierType(let id):
            let args = try id.genericArgumentClause?.arguments.map { arg -> TypeAnn in
                guard let ty = arg.argument.as(TypeSyntax.self) else {
                    throw unsupported("this generic argument is not supported in Koan", arg)
                }
                return try lowerType(ty)
            } ?? []
            switch (id.name.text, args.count) {
            case ("Int", 0): return .int
            case ("Double", 0), ("Float", 0): return .double
            case ("Bool", 0): return .bool
            case ("String", 0), ("Character", 0): return .string
            case ("Any", 0): return .any
            case ("Void", 0): return .void
            case ("HTML", 0), ("Markdown", 0): return .named(id.name.text)
            case (let name, 0) where registry.namespaces.contains(name): return .named(name)
            case ("Array", 1): return .array(args[0])
            case ("Optional", 1): return .optional(args[0])
            case ("Dictionary", 2): return .dict(args[0], args[1])
            case ("Range", 1): return .range(args[0], closed: false)
            case ("ClosedRange", 1): return .range(args[0], closed: true)
            default:
                throw failure(.name, "cannot find type '\(id.trimmedDescription)' in scope", id)
            }
        case .arrayType(let a): return .array(try lowerType(a.element))
        case .dictionaryType(let d): return .dict(try lowerType(d.key), try lowerType(d.value))
        case .optionalType(let o): return .optional(try lowerType(o.wrappedType))
        case .implicitlyUnwrappedOptionalType(let o): return .optional(try lowerType(o.wrappedType))
        case .tupleType(let tt):
            if tt.elements.isEmpty { return .void }
            if tt.elements.count == 1, let only = tt.elements.first { return try lowerType(only.type) }
            let labels = tt.elements.map { $0.firstName?.text ?? "" }
            return .tuple(try tt.elements.map { try lowerType($0.type) }, labels: labels.allSatisfy(\.isEmpty) ? nil : labels)
        case .functionType(let f):
            return .function(try f.parameters.map { try lowerType($0.type) }, try lowerType(f.returnClause.type))
        case .attributedType(let a):
            // `@escaping` and `@Sendable` mean nothing to Koan's closures; `inout` is refused.
            let harmless = a.specifiers.isEmpty && a.attributes.allSatisfy {
                ["@escaping", "@Sendable"].contains($0.trimmedDescription)
            }
            if harmless { return try lowerType(a.baseType) }
            throw unsupported("'\(a.trimmedDescription)' types are not supported in Koan", a)
        case .someOrAnyType(let s):
            throw unsupported("'\(s.someOrAnySpecifier.text)' types are not supported in Koan", s)
        default:
            throw unsupported("the type '\(t.trimmedDescription)' is not supported in Koan", t)
        }
    }

    // MARK: switch patterns

    func lowerCasePattern(_ p: PatternSyntax, binding: Bool) throws -> Pattern {
        if let e = p.as(ExpressionPatternSyntax.self) { return try lowerCaseExpression(e.expression, binding: binding) }
        if let vb = p.as(ValueBindingPatternSyntax.self) {
            return try lowerCasePattern(vb.pattern, binding: true)
        }
        if let id = p.as(IdentifierPatternSyntax.self) {
            return .bind(.local(caseLocal(id.identifier.text)))
        }
        if p.is(WildcardPatternSyntax.self) { return .wildcard }
        if let t = p.as(TuplePatternSyntax.self) {
            return .tuple(try t.elements.map { try lowerCasePattern($0.pattern, binding: binding) }, span(t))
        }
        if let i = p.as(IsTypePatternSyntax.self) {
            throw unsupported("'is' patterns are not supported in Koan", i)
        }
        throw unsupported("this pattern is not supported in Koan", p)
    }

    private func lowerCaseExpression(_ e: ExprSyntax, binding: Bool) throws -> Pattern {
        if let t = e.as(TupleExprSyntax.self), t.elements.count > 1 {
            return .tuple(try t.elements.map { try lowerCaseExpression($0.expression, binding: binding) }, span(t))
        }
        if e.is(DiscardAssignmentExprSyntax.self) { return .wildcard }
        if let pe = e.as(PatternExprSyntax.self) { return try lowerCasePattern(pe.pattern, binding: binding) }
        if binding, let d = e.as(DeclReferenceExprSyntax.self) {
            return .bind(.local(caseLocal(d.baseName.text)))
        }
        if let m = e.as(MemberAccessExprSyntax.self), m.base == nil {
            throw unsupported("enum case patterns ('.\(m.declName.baseName.text)') are not supported in Koan", m)
        }
        return .value(try lowerExpr(e))
    }

    /// A name bound by a case pattern; the same name in several patterns of one case is one variable.
    private func caseLocal(_ name: String) -> LocalVar {
        if let existing = scope.blocks[scope.blocks.count - 1][name] { return existing }
        return scope.declare(name, isLet: true, type: nil)
    }

    // MARK: Unsupported declarations

    func unsupportedDecl(_ d: DeclSyntax) -> KoanError {
        let message: String
        switch d.as(DeclSyntaxEnum.self) {
        case .classDecl: message = "'class' declarations are not supported in Koan"
        case .structDecl: message = "'struct' declarations are not supported in Koan"
        case .enumDecl: message = "'enum' declarations are not supported in Koan"
        case .protocolDecl: message = "'protocol' declarations are not supported in Koan"
        case .extensionDecl: message = "'extension' declarations are not supported in Koan"
        case .actorDecl: message = "'actor' declarations are not supported in Koan"
        case .importDecl: message = "'import' declarations are not supported in Koan"
        case .typeAliasDecl: message = "'typealias' declarations are not supported in Koan"
        case .associatedTypeDecl: message = "'associatedtype' declarations are not supported in Koan"
        case .initializerDecl: message = "'init' declarations are not supported in Koan"
        case .deinitializerDecl: message = "'deinit' declarations are not supported in Koan"
        case .subscriptDecl: message = "'subscript' declarations are not supported in Koan"
        case .operatorDecl: message = "operator declarations are not supported in Koan"
        case .precedenceGroupDecl: message = "'precedencegroup' declarations are not supported in Koan"
        case .macroDecl: message = "'macro' declarations are not supported in Koan"
        case .macroExpansionDecl(let m): message = "macros ('#\(m.macroName.text)') are not supported in Koan"
        case .ifConfigDecl: message = "conditional compilation ('#if') is not supported in Koan"
        case .enumCaseDecl: message = "'case' declarations are not supported in Koan"
        case .poundSourceLocation: message = "'#sourceLocation' is not supported in Koan"
        case .missingDecl(let m):
            if let a = m.attributes.first { message = "attributes ('\(a.trimmedDescription)') are not supported in Koan" }
            else { message = "this declaration is not supported in Koan" }
        default: message = "this declaration is not supported in Koan"
        }
        return .failure(.unsupported, message, at: declKeywordSpan(d))
    }

    /// The span of a declaration's introducer keyword (`class`, `import`, ...), or the whole declaration.
    private func declKeywordSpan(_ d: DeclSyntax) -> Span {
        for token in d.tokens(viewMode: .sourceAccurate) {
            if case .keyword = token.tokenKind, token.parent?.is(AttributeSyntax.self) == false,
               token.parent?.is(DeclModifierSyntax.self) == false {
                return span(token)
            }
            if token.tokenKind == .pound || token.tokenKind == .poundIf { return span(d) }
        }
        return span(d)
    }
}
