// Testbench wrapper of ivf_mix for unit ivf_mix: one lane (field layout as
// rtl_models/models/ivf_mix.py); the format select is an input of every vector, so
// consecutive blocks switch between MXINT8 and MXFP8; inputs and outputs registered.
module tb_ivf_mix (
    input  logic          clk,
    input  logic          in_valid,
    output logic          in_ready,
    input  logic [528:0]  in_data,
    output logic          out_valid,
    output logic [31:0]   out_data
);
  logic [528:0] q;
  logic [31:0] r;
  assign in_ready = 1'b1;
  tb_register_stage #(.IW(529), .OW(32)) u_stage (
      .clk(clk), .in_valid(in_valid), .in_data(in_data), .q(q), .r(r),
      .out_valid(out_valid), .out_data(out_data));

  // a, b (32 x 8 bits), xa, xb, is_int -> result
  ivf_mix u_mix (
      .a(q[255:0]), .b(q[511:256]), .xa(q[519:512]), .xb(q[527:520]), .is_int(q[528]),
      .result(r));
endmodule
