// Testbench wrapper of bp_block_dot for unit mx_dot: one lane per parameter point (order
// and field layout as rtl_models/models/block_dot.py); inputs and outputs registered.
module tb_mx_dot (
    input  logic           clk,
    input  logic           in_valid,
    output logic           in_ready,
    input  logic [3183:0] in_data,
    output logic           out_valid,
    output logic [223:0] out_data
);
  logic [3183:0] q;
  logic [223:0] r;
  assign in_ready = 1'b1;
  tb_register_stage #(.IW(3184), .OW(224)) u_stage (
      .clk(clk), .in_valid(in_valid), .in_data(in_data), .q(q), .r(r),
      .out_valid(out_valid), .out_data(out_data));

  // lane e4m3_exact: a, b (32 x 8 bits), xa, xb -> result
  bp_block_dot #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .BIAS(7), .NAN_ENC(1)) u_e4m3_exact (
      .a(q[255:0]), .b(q[511:256]),
      .xa(q[519:512]), .xb(q[527:520]),
      .result(r[31:0]));
  // lane e4m3_trunc25: a, b (32 x 8 bits), xa, xb -> result
  bp_block_dot #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .BIAS(7), .NAN_ENC(1), .ACC(1), .WIN(25)) u_e4m3_trunc25 (
      .a(q[783:528]), .b(q[1039:784]),
      .xa(q[1047:1040]), .xb(q[1055:1048]),
      .result(r[63:32]));
  // lane e5m2_exact: a, b (32 x 8 bits), xa, xb -> result
  bp_block_dot #(.W(8), .EXP_BITS(5), .MAN_BITS(2), .BIAS(15), .NAN_ENC(2)) u_e5m2_exact (
      .a(q[1311:1056]), .b(q[1567:1312]),
      .xa(q[1575:1568]), .xb(q[1583:1576]),
      .result(r[95:64]));
  // lane e5m2_trunc13: a, b (32 x 8 bits), xa, xb -> result
  bp_block_dot #(.W(8), .EXP_BITS(5), .MAN_BITS(2), .BIAS(15), .NAN_ENC(2), .ACC(1), .WIN(13)) u_e5m2_trunc13 (
      .a(q[1839:1584]), .b(q[2095:1840]),
      .xa(q[2103:2096]), .xb(q[2111:2104]),
      .result(r[127:96]));
  // lane e2m3_exact: a, b (32 x 6 bits), xa, xb -> result
  bp_block_dot #(.W(6), .EXP_BITS(2), .MAN_BITS(3), .BIAS(1), .NAN_ENC(0)) u_e2m3_exact (
      .a(q[2303:2112]), .b(q[2495:2304]),
      .xa(q[2503:2496]), .xb(q[2511:2504]),
      .result(r[159:128]));
  // lane e3m2_exact: a, b (32 x 6 bits), xa, xb -> result
  bp_block_dot #(.W(6), .EXP_BITS(3), .MAN_BITS(2), .BIAS(3), .NAN_ENC(0)) u_e3m2_exact (
      .a(q[2703:2512]), .b(q[2895:2704]),
      .xa(q[2903:2896]), .xb(q[2911:2904]),
      .result(r[191:160]));
  // lane e2m1_exact: a, b (32 x 4 bits), xa, xb -> result
  bp_block_dot #(.W(4), .EXP_BITS(2), .MAN_BITS(1), .BIAS(1), .NAN_ENC(0)) u_e2m1_exact (
      .a(q[3039:2912]), .b(q[3167:3040]),
      .xa(q[3175:3168]), .xb(q[3183:3176]),
      .result(r[223:192]));
endmodule
