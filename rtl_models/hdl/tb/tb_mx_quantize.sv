// Testbench wrapper of bp_mx_quantize: lanes mxfp8_e4m3 and mxfp4 (field layout as
// rtl_models/models/mx_quantize.py); inputs and outputs registered (latency 2).
module tb_mx_quantize (
    input  logic          clk,
    input  logic          in_valid,
    output logic          in_ready,
    input  logic [2047:0] in_data,
    output logic          out_valid,
    output logic [399:0]  out_data
);
  logic [2047:0] q;
  logic [399:0] r;
  assign in_ready = 1'b1;
  tb_register_stage #(.IW(2048), .OW(400)) u_stage (
      .clk(clk), .in_valid(in_valid), .in_data(in_data), .q(q), .r(r),
      .out_valid(out_valid), .out_data(out_data));

  // lane mxfp8_e4m3: x (32 x 32) -> scale, codes (32 x 8)
  bp_mx_quantize #(.EXP_BITS(4), .MAN_BITS(3), .BIAS(7), .EMAX(8), .MAX_MAG(126)) u_e4m3 (
      .x(q[1023:0]), .scale(r[7:0]), .codes(r[263:8]));
  // lane mxfp4: x (32 x 32) -> scale, codes (32 x 4)
  bp_mx_quantize #(.EXP_BITS(2), .MAN_BITS(1), .BIAS(1), .EMAX(2), .MAX_MAG(7)) u_e2m1 (
      .x(q[2047:1024]), .scale(r[271:264]), .codes(r[399:272]));
endmodule
