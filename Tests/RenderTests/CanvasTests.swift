import Testing
@testable import Render

struct CanvasTests {
    @Test func premultipliedPixelsComeBackAsStraightRGBA() {
        let canvas = Canvas(width: 4, height: 4, background: Color(red: 0, green: 0, blue: 0, alpha: 0))
        canvas.fillRect(Rect(x: 0, y: 0, width: 2, height: 4), color: Color(red: 1, green: 0.5, blue: 0, alpha: 0.5))
        canvas.fillRect(Rect(x: 2, y: 0, width: 2, height: 2), color: Color(hex: 0x1F77B4))
        let image = canvas.image()
        #expect(image.pixel(x: 0, y: 0) == RGBA(r: 255, g: 128, b: 0, a: 128))
        #expect(image.pixel(x: 3, y: 0) == RGBA(r: 0x1F, g: 0x77, b: 0xB4, a: 255))
        #expect(image.pixel(x: 3, y: 3) == RGBA(r: 0, g: 0, b: 0, a: 0))
        #expect(image.pixel(x: 4, y: 0) == nil)
    }

    @Test func imagesAreScaledWithHardEdges() {
        var source = RasterImage(width: 2, height: 2)
        source.setPixel(x: 0, y: 0, RGBA(r: 255, g: 0, b: 0))
        source.setPixel(x: 1, y: 0, RGBA(r: 0, g: 255, b: 0))
        source.setPixel(x: 0, y: 1, RGBA(r: 0, g: 0, b: 255))
        source.setPixel(x: 1, y: 1, RGBA(r: 255, g: 255, b: 255))
        let canvas = Canvas(width: 30, height: 30)
        canvas.drawImage(source, in: Rect(x: 5, y: 5, width: 20, height: 20))
        let image = canvas.image()
        #expect(image.pixel(x: 5, y: 5) == RGBA(r: 255, g: 0, b: 0))
        #expect(image.pixel(x: 14, y: 14) == RGBA(r: 255, g: 0, b: 0))
        #expect(image.pixel(x: 15, y: 5) == RGBA(r: 0, g: 255, b: 0))
        #expect(image.pixel(x: 5, y: 24) == RGBA(r: 0, g: 0, b: 255))
        #expect(image.pixel(x: 24, y: 24) == RGBA(r: 255, g: 255, b: 255))
        #expect(image.pixel(x: 4, y: 4) == RGBA(r: 255, g: 255, b: 255))
        #expect(image.pixel(x: 25, y: 15) == RGBA(r: 255, g: 255, b: 255))
    }

    @Test func textLandsWhereItIsAnchoredAndIsMeasured() {
        let canvas = Canvas(width: 200, height: 60)
        let width = canvas.textWidth("epoch 100", size: 20)
        #expect(width > 80 && width < 110)
        #expect(canvas.textWidth("epoch 100", size: 20, bold: true) > width)
        canvas.text("epoch 100", at: Point(x: 100, y: 30), size: 20, align: .center, baseline: .middle)
        let image = canvas.image()
        let ink = inkBox(image)
        #expect(ink != nil)
        if let ink {
            #expect(abs((ink.minX + ink.maxX) / 2 - 100) <= 2)
            #expect(abs(Double(ink.maxX - ink.minX) - width) <= 4)
            #expect(ink.minY >= 15 && ink.maxY <= 45)
        }
    }

    @Test func rotatedTextRunsBottomToTop() {
        let canvas = Canvas(width: 60, height: 200)
        canvas.text("mean |∂E/∂W|", at: Point(x: 30, y: 100), size: 16, align: .center, baseline: .middle, rotation: 90)
        let ink = inkBox(canvas.image())
        #expect(ink != nil)
        if let ink {
            #expect(ink.maxY - ink.minY > 80)
            #expect(ink.maxX - ink.minX < 20)
        }
    }

    @Test func polylinesSkipNonFinitePointsAndDashesLeaveGaps() {
        let canvas = Canvas(width: 100, height: 20)
        canvas.polyline([Point(x: 0, y: 5.5), Point(x: 40, y: 5.5), Point(x: .nan, y: 5.5), Point(x: 60, y: 5.5), Point(x: 100, y: 5.5)],
                        color: .black, width: 1)
        canvas.line(from: Point(x: 0, y: 14.5), to: Point(x: 100, y: 14.5), color: .black, width: 1, dash: [5, 5])
        let image = canvas.image()
        #expect(image.pixel(x: 20, y: 5) == RGBA(r: 0, g: 0, b: 0))
        #expect(image.pixel(x: 50, y: 5) == RGBA(r: 255, g: 255, b: 255))
        #expect(image.pixel(x: 80, y: 5) == RGBA(r: 0, g: 0, b: 0))
        #expect(image.pixel(x: 2, y: 14) == RGBA(r: 0, g: 0, b: 0))
        #expect(image.pixel(x: 7, y: 14) == RGBA(r: 255, g: 255, b: 255))
    }
}

/// Bounding box of the pixels that are not white.
func inkBox(_ image: RasterImage, in area: (x: Range<Int>, y: Range<Int>)? = nil) -> (minX: Int, maxX: Int, minY: Int, maxY: Int)? {
    let xs = area?.x ?? 0..<image.width
    let ys = area?.y ?? 0..<image.height
    var box: (minX: Int, maxX: Int, minY: Int, maxY: Int)?
    for y in ys {
        for x in xs where image.pixel(x: x, y: y) != RGBA(r: 255, g: 255, b: 255) {
            if let b = box {
                box = (min(b.minX, x), max(b.maxX, x), min(b.minY, y), max(b.maxY, y))
            } else {
                box = (x, x, y, y)
            }
        }
    }
    return box
}
