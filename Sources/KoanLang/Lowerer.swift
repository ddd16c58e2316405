import SwiftSyntax

/// A cell's program after lowering: run `hoisted` (top-level functions), then
/// `statements`, then evaluate `result` (the cell's value, if it ends in an expression).
struct LoweredCell {
    var hoisted: [Stmt] = []
    var statements: [Stmt] = []
    var result: Expr?
    var slotCount = 0
}

/// Lowers a swift-syntax tree (operators folded) into the evaluator's IR, once per cell:
/// names are resolved to frame slots, captured boxes or workspace globals; anything
/// Koan does not support is refused with an `UnsupportedError`.
final class Lowerer {
    let map: SourceMap
    let workspace: Workspace
    let registry: Registry
    var scope: FunctionScope
    /// Top-level names declared so far in this cell (name → is `let`), across segments.
    var cellDeclared: [String: Bool]
    /// Every name a top-level declaration of this text introduces (for forward references).
    var topLevelNames: Set<String> = []
    /// The types of top-level names declared so far in this cell (nil: not known).
    var cellTypes: [String: TypeAnn?] = [:]
    private var labelIDs: [String: Int] = [:]

    init(map: SourceMap, workspace: Workspace, registry: Registry, cellDeclared: [String: Bool]) {
        self.map = map
        self.workspace = workspace
        self.registry = registry
        self.cellDeclared = cellDeclared
        self.scope = FunctionScope(parent: nil, isTopLevel: true, isClosure: false)
    }

    func span(_ node: some SyntaxProtocol) -> Span { map.span(node) }

    func unsupported(_ message: String, _ node: some SyntaxProtocol) -> KoanError {
        .failure(.unsupported, message, at: span(node))
    }

    func failure(_ kind: ErrorKind, _ message: String, _ node: some SyntaxProtocol) -> KoanError {
        .failure(kind, message, at: span(node))
    }

    // MARK: Cells

    func lowerCell(_ file: SourceFileSyntax) throws -> LoweredCell {
        topLevelNames = Lowerer.declaredNames(file.statements)
        var cell = LoweredCell()
        let items = Array(file.statements)
        for (i, item) in items.enumerated() {
            if i == items.count - 1, let expr = expressionItem(item.item),
               !expr.is(IfExprSyntax.self), !expr.is(SwitchExprSyntax.self) {
                cell.result = try lowerExpr(expr)
                continue
            }
            guard let stmt = try lowerItem(item.item) else { continue }
            if stmt is DeclareFunction { cell.hoisted.append(stmt) } else { cell.statements.append(stmt) }
        }
        cell.slotCount = scope.slotCount
        return cell
    }

    /// Lowers a single expression (for `user_expressions`).
    func lowerExpressionCell(_ file: SourceFileSyntax) throws -> Expr? {
        let items = Array(file.statements)
        guard items.count == 1, let e = expressionItem(items[0].item) else { return nil }
        return try lowerExpr(e)
    }

    private func expressionItem(_ item: CodeBlockItemSyntax.Item) -> ExprSyntax? {
        switch item {
        case .expr(let e): return e
        case .stmt(let s): return s.as(ExpressionStmtSyntax.self)?.expression
        default: return nil
        }
    }

    static func declaredNames(_ items: CodeBlockItemListSyntax) -> Set<String> {
        var names: Set<String> = []
        func add(_ p: PatternSyntax) {
            if let id = p.as(IdentifierPatternSyntax.self) { names.insert(id.identifier.text) }
            if let t = p.as(TuplePatternSyntax.self) { t.elements.forEach { add($0.pattern) } }
        }
        for item in items {
            if case .decl(let d) = item.item {
                if let v = d.as(VariableDeclSyntax.self) { v.bindings.forEach { add($0.pattern) } }
                if let f = d.as(FunctionDeclSyntax.self) { names.insert(f.name.text) }
            }
            if case .stmt(let s) = item.item, let g = s.as(GuardStmtSyntax.self) {
                for c in g.conditions {
                    if case .optionalBinding(let b) = c.condition { add(b.pattern) }
                }
            }
        }
        return names
    }

    // MARK: Blocks and statements

    func withBlock<T>(_ body: () throws -> T) rethrows -> T {
        scope.blocks.append([:])
        defer { scope.blocks.removeLast() }
        return try body()
    }

    func lowerBlock(_ items: CodeBlockItemListSyntax, span blockSpan: Span = .unknown) throws -> Block {
        try withBlock { Block(try lowerItems(items), span: blockSpan) }
    }

    func lowerItems(_ items: CodeBlockItemListSyntax) throws -> [Stmt] {
        try items.compactMap { try lowerItem($0.item) }
    }

    func lowerItem(_ item: CodeBlockItemSyntax.Item) throws -> Stmt? {
        switch item {
        case .decl(let d): return try lowerDecl(d)
        case .stmt(let s): return try lowerStmt(s, label: nil)
        case .expr(let e): return try lowerExprStatement(e, label: nil)
        }
    }

    func lowerExprStatement(_ e: ExprSyntax, label: String?) throws -> Stmt {
        if let i = e.as(IfExprSyntax.self) { return try lowerIf(i) }
        if let s = e.as(SwitchExprSyntax.self) { return try lowerSwitch(s, label: label) }
        if let assignment = try lowerAssignment(e) { return assignment }
        return ExprStmt(try lowerExpr(e))
    }

    func lowerStmt(_ s: StmtSyntax, label: String?) throws -> Stmt? {
        switch s.as(StmtSyntaxEnum.self) {
        case .expressionStmt(let e): return try lowerExprStatement(e.expression, label: label)
        case .labeledStmt(let l):
            if scope.loops.contains(l.label.text) {
                throw failure(.type, "label '\(l.label.text)' cannot be reused on an inner statement", l.label)
            }
            return try lowerStmt(l.statement, label: l.label.text)
        case .forStmt(let f): return try lowerFor(f, label: label)
        case .whileStmt(let w):
            let conditions = try lowerConditionsInScope(w.conditions)
            return try withLoop(label) {
                While(conditions.0, body: try conditions.1(w.body), label: labelID(label), testAfter: false,
                      span: map.span(from: w.whileKeyword.positionAfterSkippingLeadingTrivia.utf8Offset,
                                     to: w.conditions.endPositionBeforeTrailingTrivia.utf8Offset))
            }
        case .repeatStmt(let r):
            let body = try withLoop(label) { try lowerBlock(r.body.statements) }
            let condition = try lowerExpr(r.condition)
            return While([.test(condition)], body: body, label: labelID(label), testAfter: true, span: span(r.condition))
        case .guardStmt(let g): return try lowerGuard(g)
        case .returnStmt(let r):
            if scope.isTopLevel { throw failure(.type, "return invalid outside of a func", r) }
            return Return(try r.expression.map { try lowerExpr($0, expecting: scope.returnType) }, span: span(r))
        case .breakStmt(let b):
            let l = b.label?.text
            if let l, !scope.loops.contains(l), !scope.switchLabels.contains(l) {
                throw failure(.type, "cannot find label '\(l)' in scope", b)
            }
            if l == nil, scope.loops.isEmpty, scope.switches == 0 {
                throw failure(.type, "'break' is only allowed inside a loop, if, do, or switch", b)
            }
            return Jump(.breakLoop(labelID(l)), span: span(b))
        case .continueStmt(let c):
            let l = c.label?.text
            if let l, !scope.loops.contains(l) { throw failure(.type, "cannot find label '\(l)' in scope", c) }
            if scope.loops.isEmpty { throw failure(.type, "'continue' is only allowed inside a loop", c) }
            return Jump(.continueLoop(labelID(l)), span: span(c))
        case .doStmt(let d):
            if !d.catchClauses.isEmpty || d.throwsClause != nil {
                throw unsupported("'do'-'catch' is not supported in Koan (Koan code does not throw errors)", d.doKeyword)
            }
            return try lowerBlock(d.body.statements, span: span(d))
        case .throwStmt(let t): throw unsupported("'throw' is not supported in Koan", t.throwKeyword)
        case .deferStmt(let d): throw unsupported("'defer' is not supported in Koan", d.deferKeyword)
        case .fallThroughStmt(let f): throw unsupported("'fallthrough' is not supported in Koan", f)
        case .discardStmt(let d): throw unsupported("'discard' is not supported in Koan", d)
        case .yieldStmt(let y): throw unsupported("'yield' is not supported in Koan", y)
        case .missingStmt(let m): throw failure(.parse, "expected a statement", m)
        default: throw unsupported("this statement is not supported in Koan", s)
        }
    }

    /// The number standing for a statement label (0 for none).
    func labelID(_ label: String?) -> Int {
        guard let label else { return 0 }
        if let id = labelIDs[label] { return id }
        labelIDs[label] = labelIDs.count + 1
        return labelIDs.count
    }

    func withLoop<T>(_ label: String?, _ body: () throws -> T) rethrows -> T {
        scope.loops.append(label)
        defer { scope.loops.removeLast() }
        return try body()
    }

    private func lowerFor(_ f: ForStmtSyntax, label: String?) throws -> Stmt {
        if let t = f.tryKeyword { throw unsupported("'for try' is not supported in Koan", t) }
        if let a = f.awaitKeyword { throw unsupported("'for await' is not supported in Koan", a) }
        if let c = f.caseKeyword { throw unsupported("'for case' patterns are not supported in Koan", c) }
        let sequence = try lowerExpr(f.sequence)
        let headerSpan = map.span(from: f.forKeyword.positionAfterSkippingLeadingTrivia.utf8Offset,
                                  to: f.sequence.endPositionBeforeTrailingTrivia.utf8Offset)
        return try withBlock {
            let pattern = try lowerBindingPattern(f.pattern, isLet: true, type: nil, forceLocal: true)
            let whereClause = try f.whereClause.map { try lowerExpr($0.condition) }
            let body = try withLoop(label) { try lowerBlock(f.body.statements) }
            return ForIn(pattern, in: sequence, where: whereClause, body: body, label: labelID(label), span: headerSpan)
        }
    }

    /// Lowers conditions in a new block; returns them and a function lowering the body
    /// in that block (so `if let` bindings are visible in the body only).
    private func lowerConditionsInScope(_ conditions: ConditionElementListSyntax)
        throws -> ([Condition], (CodeBlockSyntax) throws -> Block) {
        scope.blocks.append([:])
        let lowered: [Condition]
        do { lowered = try lowerConditions(conditions, forceLocal: true) } catch {
            scope.blocks.removeLast()
            throw error
        }
        return (lowered, { [self] body in
            defer { scope.blocks.removeLast() }
            return try lowerBlock(body.statements)
        })
    }

    func lowerConditions(_ conditions: ConditionElementListSyntax, forceLocal: Bool) throws -> [Condition] {
        try conditions.map { element in
            switch element.condition {
            case .expression(let e):
                return .test(try lowerExpr(e))
            case .optionalBinding(let b):
                let isLet = b.bindingSpecifier.tokenKind == .keyword(.let)
                let value: Expr
                if let initializer = b.initializer {
                    value = try lowerExpr(initializer.value)
                } else if let id = b.pattern.as(IdentifierPatternSyntax.self) {
                    value = try resolveName(id.identifier.text, id)
                } else {
                    throw unsupported("this optional binding is not supported in Koan", b)
                }
                guard let id = b.pattern.as(IdentifierPatternSyntax.self) else {
                    throw unsupported("destructuring in an optional binding is not supported in Koan", b.pattern)
                }
                let type = try b.typeAnnotation.map { TypeAnn.optional(try lowerType($0.type)) }
                return .bind(try declareTarget(id.identifier.text, isLet: isLet, type: type, at: id, forceLocal: forceLocal), value)
            case .matchingPattern(let m):
                throw unsupported("'if case' patterns are not supported in Koan; use 'switch'", m)
            case .availability(let a):
                throw unsupported("availability conditions are not supported in Koan", a)
            @unknown default:
                throw unsupported("this condition is not supported in Koan", element)
            }
        }
    }

    func lowerIf(_ i: IfExprSyntax) throws -> Stmt {
        let (conditions, lowerBody) = try lowerConditionsInScope(i.conditions)
        let then = try lowerBody(i.body)
        var otherwise: Stmt?
        switch i.elseBody {
        case .ifExpr(let e)?: otherwise = try lowerIf(e)
        case .codeBlock(let b)?: otherwise = try lowerBlock(b.statements)
        case nil: otherwise = nil
        }
        return If(conditions, then: then, otherwise: otherwise, span: span(i.ifKeyword))
    }

    private func lowerGuard(_ g: GuardStmtSyntax) throws -> Stmt {
        // The else body is lowered first: the guard's bindings are not visible in it.
        let otherwise = try lowerBlock(g.body.statements)
        let exits: Bool = {
            guard let last = g.body.statements.last?.item else { return false }
            if case .stmt(let s) = last {
                if s.is(ReturnStmtSyntax.self) || s.is(BreakStmtSyntax.self)
                    || s.is(ContinueStmtSyntax.self) || s.is(ThrowStmtSyntax.self) { return true }
            }
            // `fatalError(...)` never returns.
            let call: FunctionCallExprSyntax? = {
                if case .expr(let e) = last { return e.as(FunctionCallExprSyntax.self) }
                if case .stmt(let s) = last { return s.as(ExpressionStmtSyntax.self)?.expression.as(FunctionCallExprSyntax.self) }
                return nil
            }()
            return call?.calledExpression.trimmedDescription == "fatalError"
        }()
        if !exits {
            throw failure(.type, "'guard' body must not fall through, consider using a 'return' or 'break' to exit the scope", g.guardKeyword)
        }
        let conditions = try lowerConditions(g.conditions, forceLocal: false)
        return Guard(conditions, otherwise: otherwise, span: span(g.guardKeyword))
    }

    private func lowerSwitch(_ s: SwitchExprSyntax, label: String?) throws -> Stmt {
        let subject = try lowerExpr(s.subject)
        var cases: [Switch.Case] = []
        scope.switches += 1
        if let label { scope.switchLabels.append(label) }
        defer { scope.switches -= 1; if label != nil { scope.switchLabels.removeLast() } }
        for element in s.cases {
            guard case .switchCase(let c) = element else {
                throw unsupported("conditional compilation ('#if') is not supported in Koan", element)
            }
            try withBlock {
                var patterns: [(Pattern, Expr?)] = []
                switch c.label {
                case .default: patterns = [(.wildcard, nil)]
                case .case(let l):
                    for item in l.caseItems {
                        let p = try lowerCasePattern(item.pattern, binding: false)
                        patterns.append((p, try item.whereClause.map { try lowerExpr($0.condition) }))
                    }
                }
                let body = Block(try lowerItems(c.statements), span: span(c))
                cases.append(Switch.Case(patterns: patterns, body: body))
            }
        }
        return Switch(subject, cases: cases, label: labelID(label), span: span(s.switchKeyword))
    }

    // MARK: Declarations

    func lowerDecl(_ d: DeclSyntax) throws -> Stmt? {
        if let v = d.as(VariableDeclSyntax.self) { return try lowerVariable(v) }
        if let f = d.as(FunctionDeclSyntax.self) { return try lowerFunctionDecl(f) }
        throw unsupportedDecl(d)
    }

    private func lowerVariable(_ v: VariableDeclSyntax) throws -> Stmt {
        try refuseAttributes(v.attributes, v.modifiers)
        let isLet = v.bindingSpecifier.tokenKind == .keyword(.let)
        var statements: [Stmt] = []
        for binding in v.bindings {
            if let accessor = binding.accessorBlock {
                throw unsupported("computed properties and observers are not supported in Koan", accessor)
            }
            var type = try binding.typeAnnotation.map { try lowerType($0.type) }
            let value: Expr
            if let initializer = binding.initializer {
                value = try lowerExpr(initializer.value, expecting: type)
                // A `var` keeps the type Swift infers from a literal initializer:
                // `var q = 1; q = "s"` is refused, `var lr = 0.1; lr = 1 / 1000` is 0.001.
                if type == nil, !isLet, binding.pattern.is(IdentifierPatternSyntax.self) {
                    type = TypeAnn.inferred(from: value)
                }
            } else if case .optional? = type {
                value = Literal(.null, span: span(binding))
            } else {
                throw unsupported("declaring '\(binding.pattern.trimmedDescription)' without an initial value is not supported in Koan; give it a value", binding)
            }
            let pattern = try lowerBindingPattern(binding.pattern, isLet: isLet, type: type, forceLocal: false)
            statements.append(Declare(pattern, type: type, value, span: span(binding)))
        }
        return statements.count == 1 ? statements[0] : Block(statements, span: span(v))
    }

    /// The target of a new name in the current scope: a global at the top level of a
    /// cell, a frame slot elsewhere. Checks redeclaration.
    func declareTarget(_ name: String, isLet: Bool, type: TypeAnn?, at node: some SyntaxProtocol,
                       forceLocal: Bool) throws -> Target {
        if scope.atGlobalLevel && !forceLocal {
            if cellDeclared[name] != nil { throw failure(.type, "invalid redeclaration of '\(name)'", node) }
            cellDeclared[name] = isLet
            cellTypes[name] = .some(type)
            return .global(workspace.global(name), isLet: isLet, type: type)
        }
        if name != "_", scope.isDeclaredInCurrentBlock(name) {
            throw failure(.type, "invalid redeclaration of '\(name)'", node)
        }
        return .local(scope.declare(name, isLet: isLet, type: type))
    }

    func lowerBindingPattern(_ p: PatternSyntax, isLet: Bool, type: TypeAnn?, forceLocal: Bool) throws -> Pattern {
        if let id = p.as(IdentifierPatternSyntax.self) {
            return .bind(try declareTarget(id.identifier.text, isLet: isLet, type: type, at: id, forceLocal: forceLocal))
        }
        if p.is(WildcardPatternSyntax.self) { return .wildcard }
        if let t = p.as(TuplePatternSyntax.self) {
            var types: [TypeAnn?] = Array(repeating: nil, count: t.elements.count)
            if case .tuple(let ts, _)? = type, ts.count == t.elements.count { types = ts }
            return .tuple(try zip(t.elements, types).map { element, elementType in
                try lowerBindingPattern(element.pattern, isLet: isLet, type: elementType, forceLocal: forceLocal)
            }, span(t))
        }
        if let vb = p.as(ValueBindingPatternSyntax.self) {
            throw unsupported("'\(vb.bindingSpecifier.text)' patterns are not supported here in Koan", vb)
        }
        throw unsupported("this pattern is not supported in Koan", p)
    }

    func refuseAttributes(_ attributes: AttributeListSyntax, _ modifiers: DeclModifierListSyntax) throws {
        if let a = attributes.first {
            throw unsupported("attributes ('\(a.trimmedDescription)') are not supported in Koan", a)
        }
        if let m = modifiers.first {
            throw unsupported("the '\(m.name.text)' modifier is not supported in Koan", m)
        }
    }
}
