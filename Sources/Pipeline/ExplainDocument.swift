import Foundation

/// A formula of the derivation, in the seed's notation (outˡₖ, netˡₖ, wˡⱼₖ, iⱼ, targetₖ),
/// written once and rendered as Unicode text or LaTeX.
indirect enum Formula: Sendable {
    /// A name with an optional layer superscript and subscripts, each a number or one letter:
    /// `.symbol("w", layer: 2, ["1", "1"])` is w²₁₁.
    case symbol(String, layer: String?, [String])
    /// ∂a/∂b.
    case partial(Formula, Formula)
    /// A value, to 9 significant digits (the seed's precision).
    case number(Double)
    /// Words inside a formula ("if net > 0").
    case words(String)
    case times, minus, plus
    /// (…)
    case group([Formula])
    /// Juxtaposition of the parts.
    case row([Formula])
    /// Σ over a letter index.
    case sum(String, Formula)
    /// w̃: the updated value.
    case tilde(Formula)
    /// a/b, as a LaTeX \frac.
    case fraction(Formula, Formula)
    /// The derivative of a named function at a point: `sigmoid′(net²₁)`.
    case derivative(String, Formula)
    /// x².
    case squared(Formula)
    /// Anything else, written per format: `.literal("½", "\\tfrac{1}{2}")`.
    case literal(String, String)

    static func out(_ layer: Int, _ unit: String) -> Formula { .symbol("out", layer: String(layer), [unit]) }
    static func out(_ layer: Int, _ unit: Int) -> Formula { out(layer, String(unit)) }
    static func net(_ layer: Int, _ unit: String) -> Formula { .symbol("net", layer: String(layer), [unit]) }
    static func net(_ layer: Int, _ unit: Int) -> Formula { net(layer, String(unit)) }
    static func weight(_ layer: Int, _ from: String, _ to: String) -> Formula { .symbol("w", layer: String(layer), [from, to]) }
    static func weight(_ layer: Int, _ from: Int, _ to: Int) -> Formula { weight(layer, String(from), String(to)) }
    static func delta(_ layer: Int, _ unit: String) -> Formula { .symbol("δ", layer: String(layer), [unit]) }
    static func delta(_ layer: Int, _ unit: Int) -> Formula { delta(layer, String(unit)) }
    static func target(_ unit: String) -> Formula { .symbol("target", layer: nil, [unit]) }
    static func target(_ unit: Int) -> Formula { target(String(unit)) }
    static let error = Formula.symbol("E", layer: nil, [])
    static let eta = Formula.symbol("η", layer: nil, [])

    var isOperator: Bool {
        switch self {
        case .times, .minus, .plus: return true
        default: return false
        }
    }

    /// `a · b · c`, negative numbers in parentheses.
    static func product(_ factors: [Formula]) -> Formula {
        var parts: [Formula] = []
        for (index, factor) in factors.enumerated() {
            if index > 0 { parts.append(.times) }
            if case .number(let x) = factor, x < 0 { parts.append(.group([factor])) } else { parts.append(factor) }
        }
        return .row(parts)
    }

    /// `a + b − c` for the values a, b, −c.
    static func sumOf(_ values: [Double]) -> Formula {
        var parts: [Formula] = []
        for (index, x) in values.enumerated() {
            if index == 0 {
                parts.append(.number(x))
            } else {
                parts.append(x < 0 ? .minus : .plus)
                parts.append(.number(abs(x)))
            }
        }
        return .row(parts)
    }
}

/// Inline pieces of a paragraph.
enum Inline: Sendable {
    case text(String)
    case math(Formula)
}

/// `lhs = form = numbers = value  (note)`: a quantity, its symbolic form, the form with the
/// numbers put in, and its value; each part but `lhs` optional.
struct Equation {
    var lhs: Formula
    var form: Formula?
    var numbers: Formula?
    var value: Double?
    var note: [Inline]?

    init(_ lhs: Formula, _ form: Formula? = nil, numbers: Formula? = nil, value: Double? = nil, note: [Inline]? = nil) {
        self.lhs = lhs
        self.form = form
        self.numbers = numbers
        self.value = value
        self.note = note
    }

    init(_ lhs: Formula, _ form: Formula? = nil, numbers: Formula? = nil, value: Double? = nil, note: String) {
        self.init(lhs, form, numbers: numbers, value: value, note: [.text(note)])
    }
}

enum Block {
    case heading([Inline])
    case paragraph([Inline])
    case equations([Equation])

    static func section(_ title: String) -> Block { .heading([.text(title)]) }
}

/// The whole derivation, ready to render.
struct ExplainDocument {
    var title: [Inline]
    var blocks: [Block]

    func render(_ format: ExplainFormat) -> String {
        switch format {
        case .text: return renderText()
        case .markdown: return renderMarkdown()
        case .latex: return renderLaTeX()
        }
    }

    // MARK: Text, like the seed: Unicode super- and subscripts.

    func renderText() -> String {
        var out = Self.text(title) + "\n"
        for block in blocks {
            switch block {
            case .heading(let title):
                out += "\n\(Self.text(title))\n"
            case .paragraph(let inlines):
                out += Self.text(inlines) + "\n"
            case .equations(let equations):
                let left = equations.map { TextStyle.render($0.lhs) }
                let width = left.map(\.count).max() ?? 0
                for (equation, lhs) in zip(equations, left) {
                    // Padded by characters: padding(toLength:) counts UTF-16 units and would cut w̃.
                    var line = "  " + lhs + String(repeating: " ", count: width - lhs.count)
                    for part in Self.rightParts(equation, TextStyle.self) { line += " = " + part }
                    if let note = equation.note { line += "   (\(Self.text(note)))" }
                    out += line + "\n"
                }
            }
        }
        return out
    }

    static func text(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let s): return s
            case .math(let f): return TextStyle.render(f)
            }
        }.joined()
    }

    static func rightParts(_ equation: Equation, _ style: FormulaStyle.Type) -> [String] {
        var parts: [String] = []
        if let form = equation.form { parts.append(style.render(form)) }
        if let numbers = equation.numbers { parts.append(style.render(numbers)) }
        if let value = equation.value { parts.append(style.render(.number(value))) }
        return parts
    }

    // MARK: Markdown: headings, paragraphs, and one table per group of equations.

    func renderMarkdown() -> String {
        var out = "## " + Self.text(title) + "\n\n"
        for block in blocks {
            switch block {
            case .heading(let title):
                out += "\n### \(Self.text(title))\n\n"
            case .paragraph(let inlines):
                out += Self.text(inlines) + "\n\n"
            case .equations(let equations):
                out += "| quantity | form | value |\n|---|---|---|\n"
                for equation in equations {
                    var form = [equation.form, equation.numbers].compactMap { $0 }.map(TextStyle.render).joined(separator: " = ")
                    if let note = equation.note { form += (form.isEmpty ? "" : " ") + "*(\(Self.text(note)))*" }
                    let value = equation.value.map { TextStyle.render(.number($0)) } ?? ""
                    out += "| \(TextStyle.render(equation.lhs)) | \(Self.escapeTableCell(form)) | \(value) |\n"
                }
                out += "\n"
            }
        }
        // One blank line between blocks, a single newline at the end.
        while out.contains("\n\n\n") { out = out.replacingOccurrences(of: "\n\n\n", with: "\n\n") }
        while out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }

    static func escapeTableCell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    // MARK: LaTeX: a complete document (article, amsmath), one align* per group of equations.

    func renderLaTeX() -> String {
        var out = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
        out += "\\section*{" + Self.latex(title) + "}\n"
        for block in blocks {
            switch block {
            case .heading(let title):
                out += "\n\\subsection*{\(Self.latex(title))}\n"
            case .paragraph(let inlines):
                out += Self.latex(inlines) + "\n\n"
            case .equations(let equations):
                out += "\\begin{align*}\n"
                for (index, equation) in equations.enumerated() {
                    var line = LaTeXStyle.render(equation.lhs) + " &= "
                    line += Self.rightParts(equation, LaTeXStyle.self).joined(separator: " = ")
                    if let note = equation.note { line += " \\quad \\text{(\(Self.latex(note)))}" }
                    out += line + (index + 1 < equations.count ? " \\\\\n" : "\n")
                }
                out += "\\end{align*}\n"
            }
        }
        return out + "\\end{document}\n"
    }

    static func latex(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let s): return LaTeXStyle.escape(s)
            case .math(let f): return "$" + LaTeXStyle.render(f) + "$"
            }
        }.joined()
    }
}

/// How one output format writes each kind of formula.
protocol FormulaStyle {
    static func render(_ formula: Formula) -> String
}

enum TextStyle: FormulaStyle {
    static let superscripts: [Character: Character] = ["0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵",
                                                       "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "l": "ˡ"]
    static let subscripts: [Character: Character] = ["0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅",
                                                     "6": "₆", "7": "₇", "8": "₈", "9": "₉", "i": "ᵢ", "j": "ⱼ",
                                                     "k": "ₖ", "m": "ₘ", "n": "ₙ", "s": "ₛ"]

    static func render(_ formula: Formula) -> String {
        switch formula {
        case .symbol(let name, let layer, let indices):
            return name + (layer.map { String($0.map { superscripts[$0] ?? $0 }) } ?? "") + subscriptText(indices)
        case .partial(let a, let b): return "∂\(render(a))/∂\(render(b))"
        case .number(let x): return ExplainNumber.text(x)
        case .words(let s): return s
        case .times: return " · "
        case .minus: return " − "
        case .plus: return " + "
        case .group(let parts): return "(" + parts.map(render).joined() + ")"
        case .row(let parts):
            // In a row, (1/K) keeps its parentheses and a Σ stands apart: (1/K) Σₖ …
            var text = ""
            for part in parts {
                switch part {
                case .fraction where parts.count > 1: text += "(" + render(part) + ")"
                case .sum where !text.isEmpty && !text.hasSuffix(" "): text += " " + render(part)
                default: text += render(part)
                }
            }
            return text
        case .sum(let index, let body): return "Σ" + subscriptText([index]) + " " + render(body)
        case .tilde(let inner):
            // The combining tilde goes on the name's first character: w̃²₁₁.
            let text = render(inner)
            guard let first = text.first else { return text }
            return String(first) + "\u{303}" + text.dropFirst()
        case .fraction(let a, let b): return wrapped(a) + "/" + wrapped(b)
        case .derivative(let name, let at): return "\(name)′(\(render(at)))"
        case .squared(.symbol(let name, let layer, let indices)) where layer != nil || !indices.isEmpty:
            // (out¹₃)², not out¹₃²
            return "(" + render(.symbol(name, layer: layer, indices)) + ")²"
        case .squared(let inner): return wrapped(inner) + "²"
        case .literal(let text, _): return text
        }
    }

    /// Indices of one digit each run together (w²₁₁, as the seed writes w^2_{11}); a longer
    /// number would be ambiguous, so then they are separated by commas (w²₁₂,₃).
    static func subscriptText(_ indices: [String]) -> String {
        let separator = indices.contains { $0.count > 1 } ? "," : ""
        return indices.map { String($0.map { subscripts[$0] ?? $0 }) }.joined(separator: separator)
    }

    static func wrapped(_ formula: Formula) -> String {
        switch formula {
        case .row(let parts) where parts.contains(where: \.isOperator): return "(" + render(formula) + ")"
        case .sum, .fraction: return "(" + render(formula) + ")"
        case .number(let x) where x < 0: return "(" + render(formula) + ")"
        default: return render(formula)
        }
    }
}

enum LaTeXStyle: FormulaStyle {
    static func render(_ formula: Formula) -> String {
        switch formula {
        case .symbol(let name, let layer, let indices): return symbol(base(name), layer: layer, indices)
        case .partial(let a, let b): return "\\frac{\\partial \(render(a))}{\\partial \(render(b))}"
        case .number(let x): return ExplainNumber.latex(x)
        case .words(let s): return "\\text{\(escape(s))}"
        case .times: return " \\cdot "
        case .minus: return " - "
        case .plus: return " + "
        case .group(let parts): return "\\left(" + parts.map(render).joined() + "\\right)"
        case .row(let parts): return parts.map(render).joined()
        case .sum(let index, let body): return "\\sum_{\(index)} " + render(body)
        case .tilde(let inner):
            // \tilde{w}^{2}_{11}: the tilde on the name only.
            if case .symbol(let name, let layer, let indices) = inner {
                return symbol("\\tilde{\(base(name))}", layer: layer, indices)
            }
            return "\\widetilde{\(render(inner))}"
        case .fraction(let a, let b): return "\\frac{\(render(a))}{\(render(b))}"
        case .derivative(let name, let at): return "\\mathrm{\(escape(name))}'\\left(\(render(at))\\right)"
        case .squared(let inner):
            // x^{2} only for a bare name: out^{1}_{2}^{2} would be a double superscript.
            if case .symbol(_, nil, let indices) = inner, indices.isEmpty { return render(inner) + "^{2}" }
            if case .group = inner { return render(inner) + "^{2}" }
            return "\\left(\(render(inner))\\right)^{2}"
        case .literal(_, let latex): return latex
        }
    }

    static func base(_ name: String) -> String {
        switch name {
        case "δ": return "\\delta"
        case "η": return "\\eta"
        case _ where name.count > 1: return "\\mathrm{\(escape(name))}"
        default: return escape(name)
        }
    }

    /// `out^{2}_{1}`; subscripts of more than one digit separated by commas, as in text.
    static func symbol(_ base: String, layer: String?, _ indices: [String]) -> String {
        var out = base
        if let layer { out += "^{\(layer)}" }
        if !indices.isEmpty { out += "_{" + indices.joined(separator: indices.contains { $0.count > 1 } ? "," : "") + "}" }
        return out
    }

    /// Text safe inside LaTeX: the ten special characters escaped, and anything outside ASCII
    /// (a spec name in another script) written as '?' so pdflatex never meets an undefined
    /// Unicode character.
    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\textbackslash{}"
            case "{", "}", "$", "&", "#", "_", "%": out += "\\" + String(scalar)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            case "−": out += "-"
            case "·": out += "$\\cdot$"
            case "∂": out += "$\\partial$"
            case "δ": out += "$\\delta$"
            case "η": out += "$\\eta$"
            case "Σ": out += "$\\Sigma$"
            case "…": out += "\\ldots{}"
            case "′": out += "'"
            default: out += scalar.isASCII && scalar.value >= 0x20 ? String(scalar) : "?"
            }
        }
        return out
    }
}

/// Numbers of the derivation as the seed prints them: 9 decimal places (0.082167041,
/// 0.000438568), but never fewer than 6 significant digits nor more than 9, so every factor has
/// more than the 5 significant digits the contract asks for, however small.
enum ExplainNumber {
    static func text(_ x: Double) -> String {
        if x == 0 { return "0" }
        guard x.isFinite else { return "\(x)" }
        let digits = min(9, max(6, 9 + Int((log10(abs(x))).rounded(.down)) + 1))
        return String(format: "%.\(digits)g", x)
    }

    /// A difference, to 2 significant digits: its size is what matters.
    static func short(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.2g", x) }

    /// 1.5e-05 as 1.5\times 10^{-5}.
    static func latex(_ x: Double) -> String {
        let plain = text(x)
        guard let e = plain.firstIndex(of: "e"), let exponent = Int(plain[plain.index(after: e)...]) else { return plain }
        return "\(plain[..<e])\\times 10^{\(exponent)}"
    }
}
