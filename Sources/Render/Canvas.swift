import CCairo
import Foundation

/// A colour with straight (not premultiplied) components in 0...1.
public struct Color: Equatable, Hashable, Sendable {
    public var red: Double
    public var green: Double
    public var blue: Double
    public var alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    /// `Color(hex: 0x1F77B4)` is matplotlib's first default line colour.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255,
                  blue: Double(hex & 0xFF) / 255, alpha: alpha)
    }

    public static let white = Color(red: 1, green: 1, blue: 1)
    public static let black = Color(red: 0, green: 0, blue: 0)

    /// The same colour with another alpha.
    public func withAlpha(_ alpha: Double) -> Color {
        Color(red: red, green: green, blue: blue, alpha: alpha)
    }

    /// Linear blend: `self * (1 - amount) + other * amount`, component-wise (alpha too).
    public func mixed(with other: Color, amount: Double) -> Color {
        let t = min(1, max(0, amount))
        return Color(red: red + (other.red - red) * t, green: green + (other.green - green) * t,
                     blue: blue + (other.blue - blue) * t, alpha: alpha + (other.alpha - alpha) * t)
    }

    /// Rounded to 8 bits per channel.
    public var rgba: RGBA {
        let byte = { (v: Double) -> UInt8 in UInt8(max(0, min(255, (v * 255).rounded()))) }
        return RGBA(r: byte(red), g: byte(green), b: byte(blue), a: byte(alpha))
    }

    /// Relative luminance as WCAG defines it: the sRGB components linearised
    /// (c / 12.92 up to 0.04045, else ((c + 0.055) / 1.055)^2.4), then Rec. 709 weights.
    /// 0 for black, 1 for white; ColorBrewer's mid blue #4292C6 gives 0.258.
    public var luminance: Double {
        func linear(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// White or the theme's near-black, whichever reads better on `self` as a background.
    /// White below a luminance of 0.3: a little past the point where the two have equal WCAG
    /// contrast (0.22), because light text on a mid-tone cell reads as the cell's label while
    /// dark text there looks like a hole (matplotlib's annotated heatmaps switch at mid-scale too).
    public var textColor: Color { luminance < 0.3 ? .white : Theme.text }
}

/// A point in canvas pixels; x grows to the right, y downwards.
public struct Point: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// An axis-aligned rectangle in canvas pixels (origin at its top-left corner).
public struct Rect: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
    public var minX: Double { x }
    public var maxX: Double { x + width }
    public var minY: Double { y }
    public var maxY: Double { y + height }
    public var midX: Double { x + width / 2 }
    public var midY: Double { y + height / 2 }

    /// The rectangle shrunk by the given amounts on each side (never below zero size).
    public func inset(left: Double = 0, top: Double = 0, right: Double = 0, bottom: Double = 0) -> Rect {
        Rect(x: x + left, y: y + top, width: max(0, width - left - right), height: max(0, height - top - bottom))
    }
}

/// Horizontal placement of text relative to its anchor point.
public enum TextAlign: Sendable {
    case left, center, right
}

/// Vertical placement of text relative to its anchor point: on the baseline, centred on the
/// capital height, with the capitals' top at the anchor, or with the descenders' bottom at it.
public enum TextBaseline: Sendable {
    case baseline, middle, top, bottom
}

/// Marker shapes for scatter points and curve annotations.
public enum MarkerShape: Sendable {
    case circle, square, triangle, diamond, cross
}

/// A drawing surface over a Cairo ARGB32 image: lines, fills, markers and DejaVu Sans text,
/// read back as straight RGBA. The only file that touches Cairo's C types.
///
/// Coordinates are pixels from the top-left corner; a 1-pixel line is crisp when drawn on a
/// half-pixel coordinate (use `Canvas.crisp`).
public final class Canvas {
    public let width: Int
    public let height: Int
    private let surface: OpaquePointer
    private let context: OpaquePointer

    /// The family the toy font API asks fontconfig for; Debian's fonts-dejavu-core provides it.
    public static let fontFamily = "DejaVu Sans"

    /// The system's font folders and caches as fontconfig's whole configuration, made current
    /// before the first canvas draws. Fontconfig's default reads some 70 configuration files
    /// first (about 6 ms, more than drawing a chart's text), whose rules the charts do not use:
    /// they ask for one family by name and set antialiasing and hinting themselves. It also
    /// keeps the charts' text the same whatever a user's own fontconfig files say. When this
    /// configuration cannot find `fontFamily`, fontconfig's default stays (the same fonts as
    /// before, found however the machine's configuration finds them).
    private static let fonts: Void = {
        let configuration = """
            <?xml version="1.0"?>
            <fontconfig>
              <dir>/usr/share/fonts</dir>
              <dir>/usr/local/share/fonts</dir>
              <dir prefix="xdg">fonts</dir>
              <cachedir>/var/cache/fontconfig</cachedir>
              <cachedir prefix="xdg">fontconfig</cachedir>
            </fontconfig>
            """
        guard let config = FcConfigCreate() else { return }
        var usable = FcConfigParseAndLoadFromMemory(config, configuration, FcTrue) == FcTrue
            && FcConfigBuildFonts(config) == FcTrue
        if usable, let pattern = FcNameParse(fontFamily) {
            FcConfigSubstitute(config, pattern, FcMatchPattern)
            FcDefaultSubstitute(pattern)
            var result = FcResultNoMatch
            if let match = FcFontMatch(config, pattern, &result) {
                var family: UnsafeMutablePointer<FcChar8>?
                usable = FcPatternGetString(match, FC_FAMILY, 0, &family) == FcResultMatch
                    && family.map { String(cString: $0) } == fontFamily
                FcPatternDestroy(match)
            } else {
                usable = false
            }
            FcPatternDestroy(pattern)
        }
        if usable {
            FcConfigSetCurrent(config)   // takes its own reference
        }
        FcConfigDestroy(config)
    }()

    public init(width: Int, height: Int, background: Color = .white) {
        self.width = max(1, width)
        self.height = max(1, height)
        Canvas.fonts
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(self.width), Int32(self.height))
        context = cairo_create(surface)
        // Grey antialiasing (no subpixel colour fringes) and unhinted metrics, so that text
        // widths scale linearly with the size and measure the same everywhere.
        let options = cairo_font_options_create()
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_SLIGHT)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_set_font_options(context, options)
        cairo_font_options_destroy(options)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
        fillRect(Rect(x: 0, y: 0, width: Double(self.width), height: Double(self.height)), color: background)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    /// `floor(v) + 0.5`: the centre of the pixel holding `v`, where a 1-pixel line is sharp.
    public static func crisp(_ v: Double) -> Double { v.rounded(.down) + 0.5 }

    // MARK: Shapes

    public func fillRect(_ rect: Rect, color: Color) {
        setColor(color)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(context)
    }

    public func strokeRect(_ rect: Rect, color: Color, lineWidth: Double = 1) {
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_set_dash(context, nil, 0, 0)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(context)
    }

    public func line(from a: Point, to b: Point, color: Color, width: Double = 1, dash: [Double] = []) {
        polyline([a, b], color: color, width: width, dash: dash)
    }

    /// An antialiased open path through `points`; points with a non-finite coordinate break the
    /// line into separate pieces (gaps where data is missing). `roundCaps` rounds the pieces'
    /// ends, so that many short pieces meeting end to end (contour lines) join without notches;
    /// the whole path is one stroke, so overlaps are painted once even with a translucent colour.
    public func polyline(_ points: [Point], color: Color, width: Double = 1.5, dash: [Double] = [], roundCaps: Bool = false) {
        guard points.count >= 2 else { return }
        setColor(color)
        cairo_set_line_width(context, width)
        setDash(dash)
        if roundCaps { cairo_set_line_cap(context, CAIRO_LINE_CAP_ROUND) }
        defer { if roundCaps { cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT) } }
        var penDown = false
        for p in points {
            if p.x.isFinite && p.y.isFinite {
                if penDown {
                    cairo_line_to(context, p.x, p.y)
                } else {
                    cairo_move_to(context, p.x, p.y)
                    penDown = true
                }
            } else {
                penDown = false
            }
        }
        cairo_stroke(context)
        setDash([])
    }

    /// A filled closed polygon.
    public func fillPolygon(_ points: [Point], color: Color) {
        guard points.count >= 3 else { return }
        setColor(color)
        cairo_move_to(context, points[0].x, points[0].y)
        for p in points.dropFirst() { cairo_line_to(context, p.x, p.y) }
        cairo_close_path(context)
        cairo_fill(context)
    }

    public func circle(center: Point, radius: Double, fill: Color?, stroke: Color? = nil, lineWidth: Double = 1) {
        cairo_new_path(context)
        cairo_arc(context, center.x, center.y, radius, 0, 2 * Double.pi)
        paintPath(fill: fill, stroke: stroke, lineWidth: lineWidth)
    }

    /// A marker of the given overall size (diameter for circles) centred on `center`.
    public func marker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color?, stroke: Color? = nil, lineWidth: Double = 1) {
        let r = size / 2
        cairo_new_path(context)
        switch shape {
        case .circle:
            cairo_arc(context, center.x, center.y, r, 0, 2 * Double.pi)
        case .square:
            cairo_rectangle(context, center.x - r * 0.9, center.y - r * 0.9, r * 1.8, r * 1.8)
        case .triangle:
            // Equilateral, pointing up, centred on its centroid.
            cairo_move_to(context, center.x, center.y - r * 1.15)
            cairo_line_to(context, center.x + r, center.y + r * 0.58)
            cairo_line_to(context, center.x - r, center.y + r * 0.58)
            cairo_close_path(context)
        case .diamond:
            cairo_move_to(context, center.x, center.y - r * 1.2)
            cairo_line_to(context, center.x + r, center.y)
            cairo_line_to(context, center.x, center.y + r * 1.2)
            cairo_line_to(context, center.x - r, center.y)
            cairo_close_path(context)
        case .cross:
            cairo_move_to(context, center.x - r, center.y - r)
            cairo_line_to(context, center.x + r, center.y + r)
            cairo_move_to(context, center.x + r, center.y - r)
            cairo_line_to(context, center.x - r, center.y + r)
            setColor(stroke ?? fill ?? .black)
            cairo_set_line_width(context, lineWidth)
            setDash([])
            cairo_stroke(context)
            return
        }
        paintPath(fill: fill, stroke: stroke, lineWidth: lineWidth)
    }

    // MARK: Text

    /// Draws `text` in DejaVu Sans anchored at `at`. `rotation` is in degrees counter-clockwise
    /// (90 reads bottom to top, as a y-axis title); alignment applies along the rotated baseline.
    public func text(_ text: String, at: Point, size: Double, bold: Bool = false, color: Color = .black,
                     align: TextAlign = .left, baseline: TextBaseline = .baseline, rotation: Double = 0) {
        guard !text.isEmpty else { return }
        selectFont(size: size, bold: bold)
        let advance = measure(text)
        let dx: Double
        switch align {
        case .left: dx = 0
        case .center: dx = -advance / 2
        case .right: dx = -advance
        }
        let dy = baselineOffset(baseline, size: size, bold: bold)
        cairo_save(context)
        cairo_translate(context, at.x, at.y)
        if rotation != 0 { cairo_rotate(context, -rotation * Double.pi / 180) }
        setColor(color)
        cairo_move_to(context, dx, dy)
        cairo_show_text(context, text)
        cairo_restore(context)
    }

    /// The advance width of `text` in pixels at `size`.
    public func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        guard !text.isEmpty else { return 0 }
        selectFont(size: size, bold: bold)
        return measure(text)
    }

    /// The height of a capital letter at `size` (what `.middle` centres on).
    public func capHeight(size: Double, bold: Bool = false) -> Double {
        selectFont(size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, "H", &extents)
        return extents.height
    }

    /// Ascent plus descent of the font at `size`: the vertical room one line of text needs.
    public func lineHeight(size: Double, bold: Bool = false) -> Double {
        selectFont(size: size, bold: bold)
        var extents = cairo_font_extents_t()
        cairo_font_extents(context, &extents)
        return extents.ascent + extents.descent
    }

    // MARK: Images and clipping

    /// Paints `image` scaled into `rect`; `smooth: false` keeps hard cell edges (heatmaps),
    /// `true` interpolates bilinearly.
    public func drawImage(_ image: RasterImage, in rect: Rect, smooth: Bool = false) {
        guard image.width > 0, image.height > 0, rect.width > 0, rect.height > 0 else { return }
        guard let source = makeSurface(image) else { return }
        defer { cairo_surface_destroy(source) }
        cairo_save(context)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(context)
        cairo_translate(context, rect.x, rect.y)
        cairo_scale(context, rect.width / Double(image.width), rect.height / Double(image.height))
        cairo_set_source_surface(context, source, 0, 0)
        let pattern = cairo_get_source(context)
        cairo_pattern_set_filter(pattern, smooth ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_NEAREST)
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
        cairo_paint(context)
        cairo_restore(context)
    }

    /// Runs `body` with drawing restricted to `rect`.
    public func withClip(_ rect: Rect, _ body: () -> Void) {
        cairo_save(context)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(context)
        body()
        cairo_restore(context)
    }

    /// The canvas as straight RGBA. Cairo stores each pixel as one native-endian UInt32,
    /// A<<24 | R<<16 | G<<8 | B with premultiplied colour; un-premultiply as c * 255 / a
    /// (rounded; 0 where a = 0).
    public func image() -> RasterImage {
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        guard let data = cairo_image_surface_get_data(surface) else {
            return RasterImage(width: width, height: height)
        }
        pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = UnsafeRawPointer(data + y * stride)
                // A row of opaque pixels (nearly every row of a chart) as one loop without
                // branches, which vectorises: native-endian ARGB to the bytes R, G, B, 255. The
                // per-pixel loop below took 7 % of the seed pipeline's whole process.
                var alpha: UInt32 = 0xFF00_0000
                for x in 0..<width { alpha &= row.loadUnaligned(fromByteOffset: x * 4, as: UInt32.self) }
                if alpha == 0xFF00_0000 {
                    let target = UnsafeMutableRawPointer(out.baseAddress! + y * width * 4)
                    for x in 0..<width {
                        let v = row.loadUnaligned(fromByteOffset: x * 4, as: UInt32.self)
                        let rgba = (v >> 16) & 0xFF | v & 0xFF00 | (v & 0xFF) << 16 | 0xFF00_0000
                        target.storeBytes(of: rgba.littleEndian, toByteOffset: x * 4, as: UInt32.self)
                    }
                    continue
                }
                for x in 0..<width {
                    let v = row.loadUnaligned(fromByteOffset: x * 4, as: UInt32.self)
                    let i = (y * width + x) * 4
                    // Opaque (almost every pixel of a chart): no division.
                    if v >= 0xFF00_0000 {
                        out[i] = UInt8(truncatingIfNeeded: v >> 16)
                        out[i + 1] = UInt8(truncatingIfNeeded: v >> 8)
                        out[i + 2] = UInt8(truncatingIfNeeded: v)
                        out[i + 3] = 255
                        continue
                    }
                    let a = v >> 24
                    var r = (v >> 16) & 0xFF
                    var g = (v >> 8) & 0xFF
                    var b = v & 0xFF
                    if a == 0 {
                        r = 0; g = 0; b = 0
                    } else if a < 255 {
                        r = min(255, (r * 255 + a / 2) / a)
                        g = min(255, (g * 255 + a / 2) / a)
                        b = min(255, (b * 255 + a / 2) / a)
                    }
                    out[i] = UInt8(r)
                    out[i + 1] = UInt8(g)
                    out[i + 2] = UInt8(b)
                    out[i + 3] = UInt8(a)
                }
            }
        }
        return RasterImage(width: width, height: height, pixels: pixels) ?? RasterImage(width: width, height: height)
    }

    // MARK: Private

    /// Quantised to 8 bits first: Cairo truncates its 16-bit channels to 8, so k/255 is the
    /// one input that comes back as exactly k, and a fill then matches `Color.rgba`.
    private func setColor(_ c: Color) {
        let q = c.rgba
        cairo_set_source_rgba(context, Double(q.r) / 255, Double(q.g) / 255, Double(q.b) / 255, Double(q.a) / 255)
    }

    private func setDash(_ dash: [Double]) {
        if dash.isEmpty {
            cairo_set_dash(context, nil, 0, 0)
        } else {
            dash.withUnsafeBufferPointer { cairo_set_dash(context, $0.baseAddress, Int32($0.count), 0) }
        }
    }

    private func paintPath(fill: Color?, stroke: Color?, lineWidth: Double) {
        if let fill {
            setColor(fill)
            if stroke != nil { cairo_fill_preserve(context) } else { cairo_fill(context) }
        }
        if let stroke {
            setColor(stroke)
            cairo_set_line_width(context, lineWidth)
            setDash([])
            cairo_stroke(context)
        }
        cairo_new_path(context)
    }

    private func selectFont(size: Double, bold: Bool) {
        cairo_select_font_face(context, Canvas.fontFamily, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, size)
    }

    private func measure(_ text: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text, &extents)
        return extents.x_advance
    }

    private func baselineOffset(_ baseline: TextBaseline, size: Double, bold: Bool) -> Double {
        switch baseline {
        case .baseline:
            return 0
        case .middle:
            return capHeight(size: size, bold: bold) / 2
        case .top:
            return capHeight(size: size, bold: bold)
        case .bottom:
            var extents = cairo_font_extents_t()
            cairo_font_extents(context, &extents)
            return -extents.descent
        }
    }

    /// A Cairo ARGB32 copy of `image` (straight RGBA -> premultiplied native-endian ARGB).
    private func makeSurface(_ image: RasterImage) -> OpaquePointer? {
        guard let source = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(image.width), Int32(image.height)) else {
            return nil
        }
        cairo_surface_flush(source)
        let stride = Int(cairo_image_surface_get_stride(source))
        guard let data = cairo_image_surface_get_data(source) else {
            cairo_surface_destroy(source)
            return nil
        }
        image.pixels.withUnsafeBufferPointer { px in
            for y in 0..<image.height {
                let row = UnsafeMutableRawPointer(data + y * stride)
                for x in 0..<image.width {
                    let i = (y * image.width + x) * 4
                    let a = UInt32(px[i + 3])
                    let r = (UInt32(px[i]) * a + 127) / 255
                    let g = (UInt32(px[i + 1]) * a + 127) / 255
                    let b = (UInt32(px[i + 2]) * a + 127) / 255
                    row.storeBytes(of: a << 24 | r << 16 | g << 8 | b, toByteOffset: x * 4, as: UInt32.self)
                }
            }
        }
        cairo_surface_mark_dirty(source)
        return source
    }
}
