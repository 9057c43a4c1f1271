// Testbench wrapper of bp_block_dot for unit mxint8_dot: one lane per parameter point (order
// and field layout as rtl_models/models/block_dot.py); inputs and outputs registered.
module tb_mxint8_dot (
    input  logic           clk,
    input  logic           in_valid,
    output logic           in_ready,
    input  logic [527:0] in_data,
    output logic           out_valid,
    output logic [31:0] out_data
);
  logic [527:0] q;
  logic [31:0] r;
  assign in_ready = 1'b1;
  tb_register_stage #(.IW(528), .OW(32)) u_stage (
      .clk(clk), .in_valid(in_valid), .in_data(in_data), .q(q), .r(r),
      .out_valid(out_valid), .out_data(out_data));

  // lane int8_exact: a, b (32 x 8 bits), xa, xb -> result
  bp_block_dot #(.W(8), .IS_INT(1)) u_int8_exact (
      .a(q[255:0]), .b(q[511:256]),
      .xa(q[519:512]), .xb(q[527:520]),
      .result(r[31:0]));
endmodule
