// Testbench wrapper of ivf_dot for unit ivf_dot: one lane per format (order and field layout
// as rtl_models/models/ivf_dot.py); inputs and outputs registered.
module tb_ivf_dot (
    input  logic           clk,
    input  logic           in_valid,
    output logic           in_ready,
    input  logic [1343:0] in_data,
    output logic           out_valid,
    output logic [127:0] out_data
);
  logic [1343:0] q;
  logic [127:0] r;
  assign in_ready = 1'b1;
  tb_register_stage #(.IW(1344), .OW(128)) u_stage (
      .clk(clk), .in_valid(in_valid), .in_data(in_data), .q(q), .r(r),
      .out_valid(out_valid), .out_data(out_data));

  // lane mxint8: a, b (32 x 8 bits), xa, xb -> result
  ivf_dot #(.W(8), .IS_INT(1)) u_mxint8 (
      .a(q[255:0]), .b(q[511:256]),
      .xa(q[519:512]), .xb(q[527:520]),
      .result(r[31:0]));
  // lane mxfp8_e4m3: a, b (32 x 8 bits), xa, xb -> result
  ivf_dot #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .BIAS(7), .NAN_ENC(1), .N(24)) u_mxfp8_e4m3 (
      .a(q[783:528]), .b(q[1039:784]),
      .xa(q[1047:1040]), .xb(q[1055:1048]),
      .result(r[63:32]));
  // lane nvint4: a, b (16 x 4 bits), xa, xb -> result
  ivf_dot #(.W(4), .IS_INT(1), .FRAC(0), .K(16), .SCALE(1)) u_nvint4 (
      .a(q[1119:1056]), .b(q[1183:1120]),
      .xa(q[1191:1184]), .xb(q[1199:1192]),
      .result(r[95:64]));
  // lane nvfp4: a, b (16 x 4 bits), xa, xb -> result
  ivf_dot #(.W(4), .EXP_BITS(2), .MAN_BITS(1), .BIAS(1), .NAN_ENC(0), .K(16), .SCALE(1), .N(10)) u_nvfp4 (
      .a(q[1263:1200]), .b(q[1327:1264]),
      .xa(q[1335:1328]), .xb(q[1343:1336]),
      .result(r[127:96]));
endmodule
