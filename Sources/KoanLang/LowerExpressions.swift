@_spi(Compiler) import SwiftParser
import SwiftSyntax

/// Lowering of expressions.
extension Lowerer {
    /// Lowers `e`; `expecting` is the type its context asks for (an annotation, a
    /// parameter, a return type), which integer literals take as in Swift:
    /// `let lr: Double = 1 / 1000` is 0.001, `let xs: [Double] = [1, 1 / 2]` is [1.0, 0.5].
    /// The context reaches through arithmetic, parentheses, `?:`, `??` and collection
    /// literals, not into calls or subscripts (those have their own parameter types).
    func lowerExpr(_ e: ExprSyntax, expecting: TypeAnn? = nil) throws -> Expr {
        let s = span(e)
        let wantsDouble = expecting?.literalScalar == .double
        switch e.as(ExprSyntaxEnum.self) {
        case .integerLiteralExpr(let i):
            guard let v = i.representedLiteralValue else {
                throw failure(.overflow, "integer literal '\(i.literal.text)' overflows when stored into 'Int'", i)
            }
            return Literal(wantsDouble ? .double(Double(v)) : .int(v), span: s)
        case .floatLiteralExpr(let f):
            guard let v = f.representedLiteralValue else { throw failure(.value, "invalid floating-point literal", f) }
            return Literal(.double(v), span: s)
        case .booleanLiteralExpr(let b):
            return Literal(.bool(b.literal.tokenKind == .keyword(.true)), span: s)
        case .nilLiteralExpr:
            return Literal(.null, span: s)
        case .stringLiteralExpr(let str):
            return try lowerString(str)
        case .arrayExpr(let a):
            var element: TypeAnn?
            if case .array(let t)? = expecting?.unwrapped { element = t }
            return ArrayLiteral(try a.elements.map { try lowerExpr($0.expression, expecting: element) }, span: s)
        case .dictionaryExpr(let d):
            switch d.content {
            case .colon: return DictLiteral([], span: s)
            case .elements(let elements):
                var kt: TypeAnn?, vt: TypeAnn?
                if case .dict(let k, let v)? = expecting?.unwrapped { kt = k; vt = v }
                return DictLiteral(try elements.map {
                    (try lowerExpr($0.key, expecting: kt), try lowerExpr($0.value, expecting: vt))
                }, span: s)
            }
        case .tupleExpr(let t):
            if t.elements.count == 1, let only = t.elements.first, only.label == nil {
                return try lowerExpr(only.expression, expecting: expecting)
            }
            let labels = t.elements.map { $0.label?.text ?? "" }
            var types: [TypeAnn?] = Array(repeating: nil, count: t.elements.count)
            if case .tuple(let ts, _)? = expecting?.unwrapped, ts.count == types.count { types = ts }
            return TupleLiteral(try zip(t.elements, types).map { try lowerExpr($0.expression, expecting: $1) },
                                labels: labels, span: s)
        case .declReferenceExpr(let d):
            return try lowerReference(d)
        case .memberAccessExpr(let m):
            return try chainBoundary(e, try lowerMemberAccess(m))
        case .functionCallExpr(let c):
            return try chainBoundary(e, try lowerCall(c))
        case .subscriptCallExpr(let sc):
            if let t = sc.trailingClosure { throw unsupported("trailing closures on subscripts are not supported in Koan", t) }
            let base = try lowerExpr(sc.calledExpression)
            return try chainBoundary(e, SubscriptGet(base, try lowerArguments(sc.arguments), span: s))
        case .forceUnwrapExpr(let f):
            return try chainBoundary(e, ForceUnwrap(try lowerExpr(f.expression), span: s))
        case .optionalChainingExpr(let o):
            return OptionalProbe(try lowerExpr(o.expression), span: s)
        case .closureExpr(let c):
            return try lowerClosure(c)
        case .infixOperatorExpr(let i):
            if let assignment = try lowerAssignment(e) { return Discard(assignment, span: s) }
            return try lowerInfix(i, expecting: expecting)
        case .prefixOperatorExpr(let p):
            let text = p.operator.text
            if text == "-", let lit = p.expression.as(IntegerLiteralExprSyntax.self) {
                let digits = lit.literal.text.filter { $0 != "_" }
                if let v = Int("-" + digits) { return Literal(wantsDouble ? .double(Double(v)) : .int(v), span: s) }
            }
            if text == "..<" || text == "..." {
                // `..<3`, `...3`: a range open at the bottom (for slicing).
                return OneSidedRange(upper: try lowerExpr(p.expression), closed: text == "...", span: s)
            }
            guard let op = UnaryOp(rawValue: text) else {
                throw unsupported("prefix operator '\(text)' is not supported in Koan", p.operator)
            }
            return Unary(op, try lowerExpr(p.expression, expecting: op == .neg || op == .plus ? expecting : nil), span: s)
        case .postfixOperatorExpr(let p) where p.operator.text == "...":
            // `2...`: a range open at the top (for slicing).
            return OneSidedRange(lower: try lowerExpr(p.expression), span: s)
        case .ternaryExpr(let t):
            return Ternary(try lowerExpr(t.condition), try lowerExpr(t.thenExpression, expecting: expecting),
                           try lowerExpr(t.elseExpression, expecting: expecting), span: s)
        case .isExpr(let i):
            return Cast(.check, try lowerExpr(i.expression), try lowerType(i.type), span: s)
        case .asExpr(let a):
            let kind: Cast.Kind
            switch a.questionOrExclamationMark?.text {
            case "?": kind = .optional
            case "!": kind = .forced
            default: kind = .convert
            }
            return Cast(kind, try lowerExpr(a.expression), try lowerType(a.type), span: s)
        case .inOutExpr(let io):
            if io.expression.trimmedDescription == "standardError" {
                return Literal(.object(StreamToken(.stderr)), span: s)
            }
            throw unsupported("inout arguments ('&') are not supported in Koan (only 'print(..., to: &standardError)')", io)
        case .tryExpr(let t):
            throw unsupported("'try' is not supported in Koan (Koan code does not throw errors)", t.tryKeyword)
        case .awaitExpr(let a):
            throw unsupported("'await' is not supported in Koan", a.awaitKeyword)
        case .macroExpansionExpr(let m):
            throw unsupported("macros ('#\(m.macroName.text)') are not supported in Koan", m)
        case .ifExpr(let i):
            throw unsupported("'if' expressions are not supported in Koan; use the ternary operator 'c ? a : b'", i.ifKeyword)
        case .switchExpr(let sw):
            throw unsupported("'switch' expressions are not supported in Koan; use a 'switch' statement", sw.switchKeyword)
        case .discardAssignmentExpr:
            throw failure(.type, "'_' can only appear in a pattern or on the left side of an assignment", e)
        case .keyPathExpr:
            throw unsupported("key paths are not supported in Koan", e)
        case .regexLiteralExpr:
            throw unsupported("regex literals are not supported in Koan", e)
        case .genericSpecializationExpr:
            throw unsupported("generic types ('<T>') are not supported in Koan", e)
        case .superExpr:
            throw unsupported("'super' is not supported in Koan", e)
        case .postfixIfConfigExpr:
            throw unsupported("conditional compilation ('#if') is not supported in Koan", e)
        case .editorPlaceholderExpr:
            throw failure(.parse, "editor placeholder in source file", e)
        case .sequenceExpr, .missingExpr:
            throw failure(.parse, "expected expression", e)
        default:
            throw unsupported("this expression ('\(e.trimmedDescription.prefix(30))') is not supported in Koan", e)
        }
    }

    // MARK: Literals

    func lowerString(_ str: StringLiteralExprSyntax) throws -> Expr {
        if str.openingPounds != nil {
            throw unsupported("raw strings ('#\"...\"#') are not supported in Koan", str)
        }
        guard let kind = str.stringLiteralKind else { throw failure(.parse, "invalid string literal", str) }
        var parts: [Interpolation.Part] = []
        for segment in str.segments {
            switch segment {
            case .stringSegment(let seg):
                if seg.hasError { throw failure(.parse, "invalid string literal", seg) }
                var text = ""
                seg.appendUnescapedLiteralValue(stringLiteralKind: kind, delimiterLength: 0, to: &text)
                if case .text(let previous)? = parts.last {
                    parts[parts.count - 1] = .text(previous + text)
                } else {
                    parts.append(.text(text))
                }
            case .expressionSegment(let es):
                guard es.expressions.count == 1, let only = es.expressions.first, only.label == nil else {
                    throw unsupported("interpolation with labels or several values is not supported in Koan", es)
                }
                parts.append(.value(try lowerExpr(only.expression)))
            }
        }
        if parts.isEmpty { return Literal(.string(""), span: span(str)) }
        if parts.count == 1, case .text(let t) = parts[0] { return Literal(.string(t), span: span(str)) }
        return Interpolation(parts, span: span(str))
    }

    // MARK: Names

    func lowerReference(_ d: DeclReferenceExprSyntax) throws -> Expr {
        let s = span(d)
        switch d.baseName.tokenKind {
        case .dollarIdentifier(let text):
            guard scope.isClosure, let n = Int(text.dropFirst()) else {
                throw failure(.type, "anonymous closure argument not contained in a closure", d)
            }
            if let existing = scope.implicitParameters[n] { return LocalRef(existing, span: s) }
            let local = scope.declare(text, isLet: true, type: nil)
            scope.implicitParameters[n] = local
            return LocalRef(local, span: s)
        case .binaryOperator(".."):
            // `x[.., 2]`: the whole axis.
            return Literal(.object(WholeAxis()), span: s)
        case .binaryOperator(let op), .prefixOperator(let op):
            return BuiltinRef([try operatorFunction(op, d)], span: s)
        case .keyword(let k):
            throw unsupported("'\(k)' is not supported in Koan", d)
        default:
            return try resolveName(d.baseName.text, d)
        }
    }

    func operatorFunction(_ op: String, _ node: some SyntaxProtocol) throws -> Builtin {
        let params = [ParamSpec(label: nil, name: "lhs", type: "Any"), ParamSpec(label: nil, name: "rhs", type: "Any")]
        if op == "&&" || op == "||" {
            return Builtin(name: op, params: params, signature: "(_ lhs: Bool, _ rhs: Bool) -> Bool", doc: "") { args, _ in
                guard case .bool(let a) = args[0], case .bool(let b) = args[1] else { throw Arithmetic.mismatch(op, args[0], args[1]) }
                return .bool(op == "&&" ? a && b : a || b)
            }
        }
        guard let binary = BinaryOp(rawValue: op) else {
            throw unsupported("operator '\(op)' is not supported in Koan", node)
        }
        return Builtin(name: op, params: params, signature: "(_ lhs: Any, _ rhs: Any) -> Any", doc: "") { args, _ in
            try Arithmetic.apply(binary, args[0], args[1])
        }
    }

    /// A name in expression position: local, captured, workspace global, builtin or constant.
    func resolveName(_ name: String, _ node: some SyntaxProtocol) throws -> Expr {
        let s = span(node)
        if let local = scope.lookup(name) { return LocalRef(local, span: s) }
        if let g = globalIfKnown(name) { return GlobalRef(g, span: s) }
        if let entries = registry.functions[name] { return BuiltinRef(entries, span: s) }
        if let c = registry.constants[name] { return Literal(c.value, span: s) }
        throw unresolved(name, node)
    }

    func globalIfKnown(_ name: String) -> Global? {
        if cellDeclared[name] != nil || topLevelNames.contains(name) { return workspace.global(name) }
        if let g = workspace.existing(name), g.value != nil { return g }
        return nil
    }

    func unresolved(_ name: String, _ node: some SyntaxProtocol) -> KoanError {
        var candidates: [String] = scope.visibleNames
        candidates += workspace.names
        candidates += Array(cellDeclared.keys)
        candidates += Array(topLevelNames)
        candidates += Array(registry.functions.keys)
        candidates += Array(registry.constants.keys)
        var message = "use of unresolved identifier '\(name)'"
        if let hint = Lowerer.foreignNames[name] {
            message += "; \(hint)"
        } else if let s = suggestion(for: name, among: candidates) {
            message += "; did you mean '\(s)'?"
        }
        return failure(.name, message, node)
    }

    /// Names Python, IPython and PyTorch users reach for, and what Koan has instead.
    static let foreignNames: [String: String] = [
        "help": "Koan's help is the magic '%help <name>' (%help Tensor.randn); '%help' alone lists the magics",
        "len": "use the 'count' property (xs.count)",
        "range": "use a range: 0..<n (for i in 0..<n)",
        "dir": "'%workspace' lists the bindings; Tab after a dot lists a value's members",
        "np": "Koan has no Python modules; tensors are built in (Tensor([1, 2]), %help Tensor)",
        "numpy": "Koan has no Python modules; tensors are built in (Tensor([1, 2]), %help Tensor)",
        "torch": "Koan has no Python modules; tensors and models are built in (%help Tensor, %help MLP)",
        "None": "Swift's nil",
        "True": "Swift's true",
        "False": "Swift's false",
    ]

    // MARK: Members and calls

    /// Names that qualify builtins (`Tensor.zeros`, `Dataset.digits`, `Int.max`): the part
    /// before the dot of every registered qualified function or constant.
    private var typeNames: Set<String> { registry.namespaces }

    func lowerMemberAccess(_ m: MemberAccessExprSyntax) throws -> Expr {
        let name = m.declName.baseName.text
        guard let base = m.base else {
            // `.float32`, `.bfloat16`: an option named by an implicit member expression.
            return Literal(.object(EnumCase(name)), span: span(m))
        }
        if let typeRef = base.as(DeclReferenceExprSyntax.self), typeNames.contains(typeRef.baseName.text),
           scope.lookup(typeRef.baseName.text) == nil {
            let qualified = "\(typeRef.baseName.text).\(name)"
            if let c = registry.constants[qualified] { return Literal(c.value, span: span(m)) }
            if let entries = registry.functions[qualified] {
                // `Tokenizer.bytes`: a builtin whose parameters all have defaults, named without
                // parentheses, is called, as a Swift static property would be read.
                if entries.contains(where: { $0.params.allSatisfy { $0.defaultText != nil || $0.variadic } }) {
                    return try BuiltinCall.make(entries, [], span: span(m), hints: registry)
                }
                return BuiltinRef(entries, span: span(m))
            }
            throw failure(.type, "type '\(typeRef.baseName.text)' has no member '\(name)'", m.declName)
        }
        return MemberGet(try lowerExpr(base), name, span: span(m))
    }

    func lowerArguments(_ list: LabeledExprListSyntax) throws -> [ArgumentExpr] {
        try list.map { element in
            let value = try lowerExpr(element.expression)
            var argument = ArgumentExpr(label: element.label?.text, value: value)
            if let l = value as? Literal, case .int(let i) = l.value,
               let d = try lowerExpr(element.expression, expecting: .double) as? Literal,
               case .double(let x) = d.value, x != Double(i) {
                argument.asDouble = x
            }
            return argument
        }
    }

    func lowerCall(_ c: FunctionCallExprSyntax) throws -> Expr {
        let s = span(c)
        if let builder = try lowerLayerBuilder(c) { return builder }
        var args = try lowerArguments(c.arguments)
        if let t = c.trailingClosure { args.append(ArgumentExpr(label: nil, value: try lowerClosure(t), trailing: true)) }
        for extra in c.additionalTrailingClosures {
            args.append(ArgumentExpr(label: extra.label.text, value: try lowerClosure(extra.closure)))
        }
        let callee = c.calledExpression
        if let d = callee.as(DeclReferenceExprSyntax.self), case .identifier(let name) = d.baseName.tokenKind,
           scope.lookup(name) == nil, globalIfKnown(name) == nil, let entries = registry.functions[name] {
            return try BuiltinCall.make(entries, args, span: s, hints: registry)
        }
        if let m = callee.as(MemberAccessExprSyntax.self), m.base == nil {
            // `.cosine(warmup: 100)`: an option with arguments.
            return EnumCaseCall(m.declName.baseName.text, args, span: s)
        }
        if let m = callee.as(MemberAccessExprSyntax.self), let base = m.base {
            let name = m.declName.baseName.text
            if registry.isMutatingMember(name), let place = try lowerPlace(base, mutating: name) {
                return MutatingCall(place, name, args, span: s)
            }
            if let typeRef = base.as(DeclReferenceExprSyntax.self), typeNames.contains(typeRef.baseName.text) {
                if scope.lookup(typeRef.baseName.text) == nil,
                   let entries = registry.functions["\(typeRef.baseName.text).\(name)"] {
                    return try BuiltinCall.make(entries, args, span: s, hints: registry)
                }
                return Call(try lowerMemberAccess(m), args, span: s)
            }
            return MethodCall(try lowerExpr(base), name, args, span: s)
        }
        if let a = callee.as(ArrayExprSyntax.self), a.elements.count == 1 {
            // `[Int]()` and `[Int](repeating: 0, count: 3)`
            if args.isEmpty { return ArrayLiteral([], span: s) }
            if let entries = registry.functions["Array"] { return try BuiltinCall.make(entries, args, span: s, hints: registry) }
        }
        if args.isEmpty, let d = callee.as(DictionaryExprSyntax.self), case .elements(let e) = d.content, e.count == 1 {
            return DictLiteral([], span: s)
        }
        return Call(try lowerExpr(callee), args, span: s)
    }

    /// `Sequential { Linear(64, 128); ReLU() }`: a trailing closure listing one layer per
    /// statement (Swift's result-builder form) becomes `Sequential([Linear(64, 128), ReLU()])`.
    func lowerLayerBuilder(_ c: FunctionCallExprSyntax) throws -> Expr? {
        guard let d = c.calledExpression.as(DeclReferenceExprSyntax.self), d.baseName.text == "Sequential",
              scope.lookup("Sequential") == nil, c.arguments.isEmpty, c.additionalTrailingClosures.isEmpty,
              let closure = c.trailingClosure, let entries = registry.functions["Sequential"] else { return nil }
        if let signature = closure.signature { throw failure(.type, "Sequential { ... } takes no parameters", signature) }
        let layers = try closure.statements.map { item -> Expr in
            guard case .expr(let e) = item.item else {
                throw failure(.type, "Sequential { ... } lists one layer per line (an expression such as Linear(64, 128))", item)
            }
            return try lowerExpr(e)
        }
        let args = [ArgumentExpr(label: nil, value: ArrayLiteral(layers, span: span(closure)))]
        return try BuiltinCall.make(entries, args, span: span(c), hints: registry)
    }

    /// Wraps the outermost expression of a postfix chain that contains `?` so that a nil
    /// anywhere in it makes the whole chain nil.
    func chainBoundary(_ syntax: ExprSyntax, _ lowered: Expr) throws -> Expr {
        if let parent = syntax.parent {
            if let m = parent.as(MemberAccessExprSyntax.self), m.base?.id == syntax.id { return lowered }
            if let c = parent.as(FunctionCallExprSyntax.self), c.calledExpression.id == syntax.id { return lowered }
            if let c = parent.as(SubscriptCallExprSyntax.self), c.calledExpression.id == syntax.id { return lowered }
            if parent.is(ForceUnwrapExprSyntax.self) || parent.is(OptionalChainingExprSyntax.self) { return lowered }
        }
        var current: ExprSyntax? = syntax
        while let node = current {
            if node.is(OptionalChainingExprSyntax.self) { return OptionalChain(lowered, span: lowered.span) }
            if let m = node.as(MemberAccessExprSyntax.self) { current = m.base }
            else if let c = node.as(FunctionCallExprSyntax.self) { current = c.calledExpression }
            else if let c = node.as(SubscriptCallExprSyntax.self) { current = c.calledExpression }
            else if let f = node.as(ForceUnwrapExprSyntax.self) { current = f.expression }
            else { current = nil }
        }
        return lowered
    }

    // MARK: Operators and assignment

    func lowerInfix(_ i: InfixOperatorExprSyntax, expecting: TypeAnn? = nil) throws -> Expr {
        let s = span(i)
        guard let opExpr = i.operator.as(BinaryOperatorExprSyntax.self) else {
            throw unsupported("this operator is not supported in Koan", i.operator)
        }
        let text = opExpr.operator.text
        // The operands of arithmetic take the context's type (`1 / 1000` as a Double);
        // `a ?? b` passes it to both sides.
        let operandType: TypeAnn?
        switch text {
        case "+", "-", "*", "/", "%": operandType = expecting?.literalScalar == .double ? .double : nil
        case "??": operandType = expecting.map { .optional($0.unwrapped) }
        default: operandType = nil
        }
        let lhs = try lowerExpr(i.leftOperand, expecting: operandType),
            rhs = try lowerExpr(i.rightOperand, expecting: operandType.map(\.unwrapped))
        switch text {
        case "&&": return ShortCircuit(.and, lhs, rhs, span: s)
        case "||": return ShortCircuit(.or, lhs, rhs, span: s)
        case "??": return ShortCircuit(.coalesce, lhs, rhs, span: s)
        default:
            guard let op = BinaryOp(rawValue: text) else {
                throw unsupported("operator '\(text)' is not supported in Koan", opExpr)
            }
            if let a = lhs as? Literal, let b = rhs as? Literal, op != .halfOpen, op != .closed,
               let folded = try? Arithmetic.apply(op, a.value, b.value) {
                return Literal(folded, span: s)
            }
            return Binary(op, lhs, rhs, span: s)
        }
    }

    /// `x = e`, `a[i] += e`, `(a, b) = t`, `_ = e`; nil when `e` is not an assignment.
    func lowerAssignment(_ e: ExprSyntax) throws -> Stmt? {
        guard let i = e.as(InfixOperatorExprSyntax.self) else { return nil }
        let s = span(i)
        if i.operator.is(AssignmentExprSyntax.self) {
            if i.leftOperand.is(DiscardAssignmentExprSyntax.self) { return ExprStmt(try lowerExpr(i.rightOperand)) }
            if let t = i.leftOperand.as(TupleExprSyntax.self), t.elements.count > 1 {
                let places = try t.elements.map { el -> Place? in
                    if el.expression.is(DiscardAssignmentExprSyntax.self) { return nil }
                    return try requirePlace(el.expression)
                }
                return TupleAssign(places, try lowerExpr(i.rightOperand), span: s)
            }
            let place = try requirePlace(i.leftOperand)
            return Assign(place, try lowerExpr(i.rightOperand, expecting: staticType(of: place)), span: s)
        }
        if let op = i.operator.as(BinaryOperatorExprSyntax.self), let binary = BinaryOp(compound: op.operator.text) {
            let place = try requirePlace(i.leftOperand)
            let scalar = staticType(of: place)?.literalScalar
            return CompoundAssign(place, binary, try lowerExpr(i.rightOperand, expecting: scalar), span: s)
        }
        return nil
    }

    /// The type a variable place is known to hold while lowering: its annotation or the
    /// type inferred from its literal initializer (a global declared in this cell: its
    /// declaration here, not the workspace's previous one).
    func staticType(of place: Place) -> TypeAnn? {
        if let g = place as? GlobalPlace, let known = cellTypes[g.global.name] { return known }
        return place.declaredType
    }

    func requirePlace(_ e: ExprSyntax) throws -> Place {
        if let p = try lowerPlace(e, mutating: nil) { return p }
        throw failure(.type, "cannot assign to this expression", e)
    }

    /// The place an assignment or mutating method writes to; nil if the expression is not
    /// a place (a mutating call on it is then a runtime error). Refuses `let` constants.
    func lowerPlace(_ e: ExprSyntax, mutating member: String?) throws -> Place? {
        let s = span(e)
        if let d = e.as(DeclReferenceExprSyntax.self), case .identifier(let name) = d.baseName.tokenKind {
            func refuse() -> KoanError {
                if let member {
                    return failure(.type, "cannot use mutating member '\(member)' on immutable value: '\(name)' is a 'let' constant", e)
                }
                return failure(.type, "cannot assign to value: '\(name)' is a 'let' constant", e)
            }
            if let local = scope.lookup(name) {
                if local.isLet { throw refuse() }
                return LocalPlace(local, span: s)
            }
            if let g = globalIfKnown(name) {
                let isLet = cellDeclared[name] ?? (g.value != nil ? g.isLet : false)
                if isLet { throw refuse() }
                return GlobalPlace(g, span: s)
            }
            if registry.functions[name] != nil || registry.constants[name] != nil {
                throw failure(.type, "cannot assign to value: '\(name)' is a builtin", e)
            }
            throw unresolved(name, d)
        }
        if let sc = e.as(SubscriptCallExprSyntax.self) {
            guard let base = try lowerPlace(sc.calledExpression, mutating: member) else { return nil }
            return SubscriptPlace(base, try lowerArguments(sc.arguments), span: s)
        }
        if let m = e.as(MemberAccessExprSyntax.self), let b = m.base {
            let name = m.declName.baseName.text
            if Int(name) == nil, !registry.members(named: name, for: .tuple).isEmpty || registry.members[name] != nil {
                throw failure(.type, "cannot assign to property: '\(name)' is a get-only property", m.declName)
            }
            guard let base = try lowerPlace(b, mutating: member) else { return nil }
            return TupleElementPlace(base, name, span: s)
        }
        if let f = e.as(ForceUnwrapExprSyntax.self) { return try lowerPlace(f.expression, mutating: member) }
        if let o = e.as(OptionalChainingExprSyntax.self) {
            guard let base = try lowerPlace(o.expression, mutating: member) else { return nil }
            return OptionalPlace(base, span: s)
        }
        if let t = e.as(TupleExprSyntax.self), t.elements.count == 1, let only = t.elements.first {
            return try lowerPlace(only.expression, mutating: member)
        }
        return nil
    }
}
