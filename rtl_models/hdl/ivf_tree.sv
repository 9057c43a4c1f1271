// A sub-block of ivf_dot (ivf_dot.sv describes the datapath and its arithmetic).
// The K-input adder tree: exact two's complement sum of the lane values, as a balanced
// tree of K - 1 adders (K a power of two). SIGNED_IN=1: the values are two's complement
// (integer products; neg is unused); SIGNED_IN=0: magnitudes, negated where neg is set.
module ivf_tree #(
    parameter int K = 32,
    parameter int AW = 24,
    parameter int SIGNED_IN = 0,
    parameter int SUMW = AW + $clog2(K) + 1
) (
    input  logic [K*AW-1:0]        v,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [K-1:0]           neg,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic signed [SUMW-1:0] sum
);
  always @* begin : tree
    logic signed [SUMW-1:0] s [K];
    for (int i = 0; i < K; i++)
      if (SIGNED_IN != 0) s[i] = SUMW'($signed(v[i*AW +: AW]));
      else s[i] = neg[i] ? -(SUMW'(v[i*AW +: AW])) : SUMW'(v[i*AW +: AW]);
    for (int step = 1; step < K; step = 2 * step)
      for (int i = 0; i < K; i = i + 2 * step) s[i] = s[i] + s[i + step];
    sum = s[0];
  end
endmodule
