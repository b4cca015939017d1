// W2 as a plain C loop: the seed's 2-2-2 sigmoid network (Pipelines/seed.yaml), one sample,
// E = sum 1/2 (target - out)^2, biases frozen, SGD at rate 0.5, full batch.
//
//   gcc -O2 -o w2 w2.c -lm && ./w2 [steps]      (steps: 1000000 unless given)
//
// Prints one JSON line: ns_per_step, steps, loss (E after the last update).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

int main(int argc, char **argv) {
    long steps = argc > 1 ? atol(argv[1]) : 1000000;
    const double x[2] = {0.05, 0.10}, target[2] = {0.01, 0.99};
    const double b1 = 0.35, b2 = 0.60, rate = 0.5;
    // w1[j][k]: input j -> hidden k; w2[j][k]: hidden j -> output k (the seed's layout).
    double w1[2][2] = {{0.15, 0.25}, {0.20, 0.30}}, w2[2][2] = {{0.40, 0.50}, {0.45, 0.55}};
    double h[2], o[2], delta_o[2], delta_h[2];

    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long step = 0; step < steps; step++) {
        for (int k = 0; k < 2; k++) h[k] = sigmoid(x[0] * w1[0][k] + x[1] * w1[1][k] + b1);
        for (int k = 0; k < 2; k++) o[k] = sigmoid(h[0] * w2[0][k] + h[1] * w2[1][k] + b2);
        // dE/dnet_o = (o - t) o (1 - o); dE/dnet_h = sum_k w2[j][k] dE/dnet_o[k] * h (1 - h).
        for (int k = 0; k < 2; k++) delta_o[k] = (o[k] - target[k]) * o[k] * (1 - o[k]);
        for (int j = 0; j < 2; j++) delta_h[j] = (w2[j][0] * delta_o[0] + w2[j][1] * delta_o[1]) * h[j] * (1 - h[j]);
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 2; k++) {
                w2[j][k] -= rate * h[j] * delta_o[k];
                w1[j][k] -= rate * x[j] * delta_h[k];
            }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);

    // E of the final weights (also keeps the loop's results live).
    for (int k = 0; k < 2; k++) h[k] = sigmoid(x[0] * w1[0][k] + x[1] * w1[1][k] + b1);
    for (int k = 0; k < 2; k++) o[k] = sigmoid(h[0] * w2[0][k] + h[1] * w2[1][k] + b2);
    double loss = 0.5 * ((target[0] - o[0]) * (target[0] - o[0]) + (target[1] - o[1]) * (target[1] - o[1]));
    printf("{\"ns_per_step\": %.3f, \"steps\": %ld, \"loss\": %.9g}\n", ns / (double)steps, steps, loss);
    return 0;
}
