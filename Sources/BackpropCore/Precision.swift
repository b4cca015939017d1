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
    public static func step(_ optimizer: any Optimizer, _ parameters: [ParameterOf<Self>], learningRate: Double) {
        optimizer.step(parameters, learningRate: learningRate)
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
    public static func step(_ optimizer: any Optimizer, _ parameters: [ParameterOf<Self>], learningRate: Double) {
        optimizer.step(parameters, learningRate: learningRate)
    }
}
