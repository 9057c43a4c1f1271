// A sub-block of ivf_dot (ivf_dot.sv describes the datapath and its arithmetic).
// The exponent comparator: the largest exponent sum among the non-zero products.
module ivf_maxexp #(
    parameter int K = 32,
    parameter int TW = 5
) (
    input  logic [K*TW-1:0] t,
    input  logic [K-1:0]    nonzero,
    output logic [TW-1:0]   top
);
  always @* begin
    top = '0;
    for (int i = 0; i < K; i++) if (nonzero[i] && t[i*TW +: TW] > top) top = t[i*TW +: TW];
  end
endmodule
