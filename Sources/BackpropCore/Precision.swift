/// The per-precision calls of `TrainingScalar` (see Math.swift): the same text for Double and
/// Float, each resolving to that precision's requirement of Activation, Loss or Optimizer.
extension Double {
    public static func forward(_ activation: any Activation, _ net: MatrixOf<Self>, into out: inout MatrixOf<Self>) {
        activation.forward(net, into: &out)
    }
    public static func forward(_ activation: any Activation, net: inout MatrixOf<Self>, bias: MatrixOf<Self>,
                               into out: inout MatrixOf<Self>) {
        activation.forward(net: &net, bias: bias, into: &out)
    }
    public static func backward(_ activation: any Activation, net: MatrixOf<Self>, out: MatrixOf<Self>,
                                outGradient: MatrixOf<Self>, into netGradient: inout MatrixOf<Self>) {
        activation.backward(net: net, out: out, outGradient: outGradient, into: &netGradient)
    }
    public static func evaluate(_ loss: any Loss, net: MatrixOf<Self>, output: MatrixOf<Self>, target: MatrixOf<Self>,
                                outGradient: inout MatrixOf<Self>) -> Double {
        loss.evaluate(net: net, output: output, target: target, outGradient: &outGradient)
    }
    public static func value(_ loss: any Loss, net: MatrixOf<Self>, output: MatrixOf<Self>, target: MatrixOf<Self>) -> Double {
        loss.value(net: net, output: output, target: target)
    }
    public static func evaluateFused(_ loss: any FusedOutputLoss, net: MatrixOf<Self>, output: MatrixOf<Self>,
                                     target: MatrixOf<Self>, netGradient: inout MatrixOf<Self>) -> Double {
        loss.evaluateFused(net: net, output: output, target: target, netGradient: &netGradient)
    }
    public static func valueFused(_ loss: any FusedOutputLoss, net: MatrixOf<Self>, output: MatrixOf<Self>,
                                  target: MatrixOf<Self>) -> Double {
        loss.valueFused(net: net, output: output, target: target)
    }
    public static func step(_ optimizer: any Optimizer, _ parameters: [ParameterOf<Self>], learningRate: Double,
                            elements: Range<Int>) {
        optimizer.step(parameters, learningRate: learningRate, elements: elements)
    }
}

extension Float {
    public static func forward(_ activation: any Activation, _ net: MatrixOf<Self>, into out: inout MatrixOf<Self>) {
        activation.forward(net, into: &out)
    }
    public static func forward(_ activation: any Activation, net: inout MatrixOf<Self>, bias: MatrixOf<Self>,
                               into out: inout MatrixOf<Self>) {
        activation.forward(net: &net, bias: bias, into: &out)
    }
    public static func backward(_ activation: any Activation, net: MatrixOf<Self>, out: MatrixOf<Self>,
                                outGradient: MatrixOf<Self>, into netGradient: inout MatrixOf<Self>) {
        activation.backward(net: net, out: out, outGradient: outGradient, into: &netGradient)
    }
    public static func evaluate(_ loss: any Loss, net: MatrixOf<Self>, output: MatrixOf<Self>, target: MatrixOf<Self>,
                                outGradient: inout MatrixOf<Self>) -> Double {
        loss.evaluate(net: net, output: output, target: target, outGradient: &outGradient)
    }
    public static func value(_ loss: any Loss, net: MatrixOf<Self>, output: MatrixOf<Self>, target: MatrixOf<Self>) -> Double {
        loss.value(net: net, output: output, target: target)
    }
    public static func evaluateFused(_ loss: any FusedOutputLoss, net: MatrixOf<Self>, output: MatrixOf<Self>,
                                     target: MatrixOf<Self>, netGradient: inout MatrixOf<Self>) -> Double {
        loss.evaluateFused(net: net, output: output, target: target, netGradient: &netGradient)
    }
    public static func valueFused(_ loss: any FusedOutputLoss, net: MatrixOf<Self>, output: MatrixOf<Self>,
                                  target: MatrixOf<Self>) -> Double {
        loss.valueFused(net: net, output: output, target: target)
    }
    public static func step(_ optimizer: any Optimizer, _ parameters: [ParameterOf<Self>], learningRate: Double,
                            elements: Range<Int>) {
        optimizer.step(parameters, learningRate: learningRate, elements: elements)
    }
}

/// `training.precision`: the number type training runs in.
public enum Precision: String, Sendable, CaseIterable {
    /// Double throughout (the default; the worked example's numbers are exact in it).
    case float64
    /// Float throughout the loop: sgemm, float activations, losses and optimizer buffers.
    case float32

    /// A trainer in this precision for the float64 `network`: float64 trains it directly; float32
    /// trains a converted copy and puts the trained parameters back into `network` (exactly:
    /// every Float is a Double). `group`: see `TrainerOf.group`.
    public func trainer(network: Network, loss: any Loss, optimizer: any Optimizer,
                        schedule: any LearningRateSchedule, options: TrainingOptions,
                        generator: SeededGenerator, group: (any ProcessGroup)? = nil) -> any TrainingSession {
        switch self {
        case .float64:
            let trainer = Trainer(network: network, loss: loss, optimizer: optimizer, schedule: schedule,
                                  options: options, generator: generator)
            trainer.group = group
            return trainer
        case .float32:
            let trainer = Float32Trainer(network: network, loss: loss, optimizer: optimizer, schedule: schedule,
                                         options: options, generator: generator)
            trainer.trainer.group = group
            return trainer
        }
    }
}

/// What the pipeline needs of a trainer, in float64 terms whatever the precision inside.
public protocol TrainingSession: AnyObject {
    /// See `TrainerOf.state`.
    var state: TrainingState { get }
    /// See `TrainerOf.resumableState`.
    var resumableState: TrainingState { get }
    /// See `TrainerOf.train(_:validation:resumingFrom:shouldStop:onEpoch:onState:)`.
    func train(_ training: Dataset, validation: Dataset?, resumingFrom state: TrainingState?,
               shouldStop: () -> Bool, onEpoch: ((EpochRecord) -> Void)?,
               onState: ((TrainingState) -> Void)?) throws -> TrainingOutcome
}

extension TrainerOf: TrainingSession where Scalar == Double {}

/// Trains a float64 network in float32: the network and the data are converted once when
/// training starts, and the trained parameters are copied back when it returns, so everything
/// after training (outputs, charts, model.json) sees a float64 network.
///
/// A concrete class, not one generic over the precision: the pipeline calls it through
/// `any TrainingSession`, and a generic class's witnesses would run the whole loop unspecialised
/// (measured: 5× slower on Fashion-MNIST).
public final class Float32Trainer: TrainingSession {
    /// The float64 network that receives the trained parameters.
    public let network: Network
    public let trainer: TrainerOf<Float>

    public init(network: Network, loss: any Loss, optimizer: any Optimizer, schedule: any LearningRateSchedule,
                options: TrainingOptions, generator: SeededGenerator) {
        self.network = network
        self.trainer = TrainerOf(network: NetworkOf(converting: network), loss: loss, optimizer: optimizer,
                                 schedule: schedule, options: options, generator: generator)
    }

    public var state: TrainingState { trainer.state }
    public var resumableState: TrainingState { trainer.resumableState }

    public func train(_ training: Dataset, validation: Dataset?, resumingFrom state: TrainingState?,
                      shouldStop: () -> Bool, onEpoch: ((EpochRecord) -> Void)?,
                      onState: ((TrainingState) -> Void)?) throws -> TrainingOutcome {
        defer { network.assignParameters(from: trainer.network) }
        return try trainer.train(DatasetOf(converting: training), validation: validation.map { DatasetOf(converting: $0) },
                                 resumingFrom: state, shouldStop: shouldStop, onEpoch: onEpoch, onState: onState)
    }
}
