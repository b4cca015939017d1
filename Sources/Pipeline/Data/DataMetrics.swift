import BackpropCore

extension RunReport {
    /// metrics.json members that come from the data's parts (test set figures, classes,
    /// confusion matrix); MetricsOutput places them after the training figures.
    var dataMetrics: [(String, JSON)] {
        var members: [(String, JSON)] = []
        if let classes = data.task.classNames { members.append(("classes", .array(classes.map(JSON.string)))) }
        return members
    }
}
