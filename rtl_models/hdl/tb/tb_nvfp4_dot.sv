// Testbench wrapper of bp_block_dot for unit nvfp4_dot: one lane per parameter point (order
// and field layout as rtl_models/models/block_dot.py); inputs and outputs registered.
module tb_nvfp4_dot (
    input  logic           clk,
    input  logic           in_valid,
    output logic           in_ready,
    input  logic [287:0] in_data,
    output logic           out_valid,
    output logic [63:0] out_data
);
  logic [287:0] q;
  logic [63:0] r;
  assign in_ready = 1'b1;
  tb_register_stage #(.IW(288), .OW(64)) u_stage (
      .clk(clk), .in_valid(in_valid), .in_data(in_data), .q(q), .r(r),
      .out_valid(out_valid), .out_data(out_data));

  // lane nvfp4_exact: a, b (16 x 4 bits), xa, xb -> result
  bp_block_dot #(.W(4), .EXP_BITS(2), .MAN_BITS(1), .BIAS(1), .NAN_ENC(0), .K(16), .SCALE(1)) u_nvfp4_exact (
      .a(q[63:0]), .b(q[127:64]),
      .xa(q[135:128]), .xb(q[143:136]),
      .result(r[31:0]));
  // lane nvfp4_trunc25: a, b (16 x 4 bits), xa, xb -> result
  bp_block_dot #(.W(4), .EXP_BITS(2), .MAN_BITS(1), .BIAS(1), .NAN_ENC(0), .K(16), .SCALE(1), .ACC(1), .WIN(25)) u_nvfp4_trunc25 (
      .a(q[207:144]), .b(q[271:208]),
      .xa(q[279:272]), .xb(q[287:280]),
      .result(r[63:32]));
endmodule
