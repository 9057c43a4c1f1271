// A sub-block of ivf_dot (ivf_dot.sv describes the datapath and its arithmetic).
// The shared normaliser: leading-one detect, shift and round once to FP32 (bp_to_fp32).
module ivf_norm #(
    parameter int MW = 38,
    parameter int EW = 12
) (
    input  logic                 sign,
    input  logic [MW-1:0]        mag,
    input  logic signed [EW-1:0] lsb_exp,
    input  logic                 nan,
    output logic [31:0]          result
);
  bp_to_fp32 #(.MW(MW), .EW(EW)) u_round (
      .sign(sign & (|mag)), .mag(mag), .sticky(1'b0), .lsb_exp(lsb_exp), .nan(nan),
      .inf(1'b0), .result(result));
endmodule
