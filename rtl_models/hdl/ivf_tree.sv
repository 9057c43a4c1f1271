// A sub-block of ivf_dot (ivf_dot.sv describes the datapath and its arithmetic).
// The K-input adder tree: exact two's complement sum of the signed lane values.
module ivf_tree #(
    parameter int K = 32,
    parameter int AW = 24,
    parameter int SUMW = AW + $clog2(K) + 1
) (
    input  logic [K*AW-1:0]        v,
    input  logic [K-1:0]           neg,
    output logic signed [SUMW-1:0] sum
);
  always @* begin
    sum = '0;
    for (int i = 0; i < K; i++)
      sum = neg[i] ? sum - SUMW'(v[i*AW +: AW]) : sum + SUMW'(v[i*AW +: AW]);
  end
endmodule
