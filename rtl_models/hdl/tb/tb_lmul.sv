// Testbench wrapper of bp_lmul for unit lmul: lanes e4m3, e5m2 (every code pair, COPIES
// pairs a beat), bf16 and fp16 (field layout as rtl_models/models/lmul.py); inputs and
// outputs registered (latency 2).
module tb_lmul #(
    parameter int COPIES = 16
) (
    input  logic                 clk,
    input  logic                 in_valid,
    output logic                 in_ready,
    input  logic [COPIES*96-1:0] in_data,
    output logic                 out_valid,
    output logic [COPIES*48-1:0] out_data
);
  logic [COPIES*96-1:0] q;
  logic [COPIES*48-1:0] r;
  assign in_ready = 1'b1;
  tb_register_stage #(.IW(COPIES*96), .OW(COPIES*48)) u_stage (
      .clk(clk), .in_valid(in_valid), .in_data(in_data), .q(q), .r(r),
      .out_valid(out_valid), .out_data(out_data));
  for (genvar c = 0; c < COPIES; c++) begin : g_copy
    // per block: e4m3 x,y [15:0], e5m2 x,y [31:16], bf16 x,y [63:32], fp16 x,y [95:64]
    localparam int I = c * 96;
    localparam int O = c * 48;
    bp_lmul #(.EXP_BITS(4), .MAN_BITS(3), .BIAS(7), .L(3), .MAX_MAG(126)) u_e4m3 (
        .x(q[I+0 +: 8]), .y(q[I+8 +: 8]), .z(r[O+0 +: 8]));
    bp_lmul #(.EXP_BITS(5), .MAN_BITS(2), .BIAS(15), .L(2), .MAX_MAG(123)) u_e5m2 (
        .x(q[I+16 +: 8]), .y(q[I+24 +: 8]), .z(r[O+8 +: 8]));
    bp_lmul #(.EXP_BITS(8), .MAN_BITS(7), .BIAS(127), .L(4), .MAX_MAG(32639)) u_bf16 (
        .x(q[I+32 +: 16]), .y(q[I+48 +: 16]), .z(r[O+16 +: 16]));
    bp_lmul #(.EXP_BITS(5), .MAN_BITS(10), .BIAS(15), .L(4), .MAX_MAG(31743)) u_fp16 (
        .x(q[I+64 +: 16]), .y(q[I+80 +: 16]), .z(r[O+32 +: 16]));
  end
endmodule
