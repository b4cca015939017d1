import XCTest
@testable import BackpropCore

/// Each schedule's rate for epochs 1, 2, ... (the rate used during that epoch).
final class ScheduleTests: XCTestCase {
    func rates(_ schedule: any LearningRateSchedule, _ epochs: Int, losses: [Double] = []) -> [Double] {
        var previous: EpochSummary?
        return (1...epochs).map { epoch in
            let rate = schedule.rate(epoch: epoch, previous: previous)
            let loss = epoch <= losses.count ? losses[epoch - 1] : 1
            previous = EpochSummary(epoch: epoch, loss: loss, validationLoss: nil)
            return rate
        }
    }

    func testConstantStepMultistepExponential() {
        XCTAssertEqual(rates(ConstantRate(0.5), 3), [0.5, 0.5, 0.5])
        XCTAssertEqual(rates(StepRate(1, stepSize: 2, gamma: 0.5), 6), [1, 1, 0.5, 0.5, 0.25, 0.25])
        XCTAssertEqual(rates(MultiStepRate(1, milestones: [2, 5], gamma: 0.1), 7), [1, 1, 0.1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1])
        XCTAssertEqual(rates(ExponentialRate(2, gamma: 0.5), 4), [2, 1, 0.5, 0.25])
    }

    func testExponentialIsTheSameWhetherAskedInOrderOrNot() {
        let schedule = ExponentialRate(0.1, gamma: 0.9)
        let inOrder = rates(schedule, 50)
        XCTAssertEqual(ExponentialRate(0.1, gamma: 0.9).rate(epoch: 50, previous: nil), inOrder[49])
    }

    func testInverseTimeIsScikitLearnsInvscalingPerEpoch() {
        // η/t^p goes through libm's pow, within 1 ulp of the exact power (glibc's bound, not
        // correctly rounded), and the division rounds once more: within 2 ulp = 2.2e-16 of rates ≤ 1.
        let expected = [1, 1 / 2.0.squareRoot(), 1 / 3.0.squareRoot(), 0.5]
        for (rate, value) in zip(rates(InverseTimeRate(1, power: 0.5), 4), expected) {
            XCTAssertEqual(rate, value, accuracy: 2.2e-16)
        }
    }

    func testCosineClosedForm() {
        let r = rates(CosineRate(1, maximumEpochs: 4, minimumRate: 0.2), 6)
        XCTAssertEqual(r[0], 1)
        XCTAssertEqual(r[2], 0.6, accuracy: 1e-15)     // half way: η_min + (1 − η_min)/2
        XCTAssertEqual(r[4], 0.2, accuracy: 1e-15)     // epoch t_max + 1 reaches η_min
        XCTAssertEqual(r[1], 0.2 + 0.8 * (1 + cos(Double.pi / 4)) / 2, accuracy: 1e-15)
    }

    func testReduceOnPlateauWaitsMoreThanPatienceEpochs() {
        // Loss improves twice, then stalls: with patience 2 the third bad epoch reduces the rate.
        let schedule = ReduceOnPlateau(1, monitor: .loss, factor: 0.5, patience: 2, minimumRate: 0.2)
        let r = rates(schedule, 10, losses: [3, 2, 2, 2, 2, 1.99999, 2, 2, 2, 2])
        // Decisions after epochs 3, 4 count 1, 2 bad epochs; after 5, 3 > 2: epoch 6 uses 0.5.
        // 1.99999 is not a 1e-4 relative improvement on 2, so counting continues from 0.
        XCTAssertEqual(r, [1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
        let floor = rates(ReduceOnPlateau(1, monitor: .loss, factor: 0.1, patience: 0, minimumRate: 0.05), 5, losses: [1, 1, 1, 1, 1])
        XCTAssertEqual(floor, [1, 1, 0.1, 0.05, 0.05])
    }

    func testReduceOnPlateauStateRoundTrip() {
        let a = ReduceOnPlateau(1, monitor: .loss, factor: 0.5, patience: 1)
        _ = rates(a, 4, losses: [1, 1, 1, 1])
        let b = ReduceOnPlateau(1, monitor: .loss, factor: 0.5, patience: 1)
        b.restoreState(a.saveState())
        let next = EpochSummary(epoch: 4, loss: 1, validationLoss: nil)
        XCTAssertEqual(a.rate(epoch: 5, previous: next), b.rate(epoch: 5, previous: next))
        XCTAssertEqual(a.saveState(), b.saveState())
    }

    func testLinearWarmupThenTheSchedule() {
        XCTAssertEqual(rates(Warmup(StepRate(1, stepSize: 2, gamma: 0.5), epochs: 4), 8),
                       [0.25, 0.5, 0.75, 1, 1, 1, 0.5, 0.5])
    }
}
