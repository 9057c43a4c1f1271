// One block of tb_elem_mul: every element format pair side by side (combinational).
module tb_elem_mul_block (
    input  logic [105:0] d,
    output logic [251:0] y
);
  bp_elem_mul #(.WA(8), .EA(4), .MA(3), .NA(1), .IA(0),
                .WB(8), .EB(4), .MB(3), .NB(1), .IB(0)) u_e4m3 (
      .a(d[7:0]), .b(d[15:8]),
      .prod(y[36:0]), .neg(y[37]), .nan(y[38]), .inf(y[39]));
  bp_elem_mul #(.WA(8), .EA(5), .MA(2), .NA(2), .IA(0),
                .WB(8), .EB(5), .MB(2), .NB(2), .IB(0)) u_e5m2 (
      .a(d[23:16]), .b(d[31:24]),
      .prod(y[106:40]), .neg(y[107]), .nan(y[108]), .inf(y[109]));
  bp_elem_mul #(.WA(6), .EA(2), .MA(3), .NA(0), .IA(0),
                .WB(6), .EB(2), .MB(3), .NB(0), .IB(0)) u_e2m3 (
      .a(d[37:32]), .b(d[43:38]),
      .prod(y[122:110]), .neg(y[123]), .nan(y[124]), .inf(y[125]));
  bp_elem_mul #(.WA(6), .EA(3), .MA(2), .NA(0), .IA(0),
                .WB(6), .EB(3), .MB(2), .NB(0), .IB(0)) u_e3m2 (
      .a(d[49:44]), .b(d[55:50]),
      .prod(y[144:126]), .neg(y[145]), .nan(y[146]), .inf(y[147]));
  bp_elem_mul #(.WA(4), .EA(2), .MA(1), .NA(0), .IA(0),
                .WB(4), .EB(2), .MB(1), .NB(0), .IB(0)) u_e2m1 (
      .a(d[59:56]), .b(d[63:60]),
      .prod(y[156:148]), .neg(y[157]), .nan(y[158]), .inf(y[159]));
  bp_elem_mul #(.WA(8), .EA(1), .MA(1), .NA(0), .IA(1),
                .WB(8), .EB(1), .MB(1), .NB(0), .IB(1)) u_int8 (
      .a(d[71:64]), .b(d[79:72]),
      .prod(y[176:160]), .neg(y[177]), .nan(y[178]), .inf(y[179]));
  bp_elem_mul #(.WA(8), .EA(4), .MA(3), .NA(1), .IA(0),
                .WB(8), .EB(5), .MB(2), .NB(2), .IB(0)) u_e4m3_e5m2 (
      .a(d[87:80]), .b(d[95:88]),
      .prod(y[231:180]), .neg(y[232]), .nan(y[233]), .inf(y[234]));
  bp_elem_mul #(.WA(4), .EA(2), .MA(1), .NA(0), .IA(0),
                .WB(6), .EB(3), .MB(2), .NB(0), .IB(0)) u_e2m1_e3m2 (
      .a(d[99:96]), .b(d[105:100]),
      .prod(y[248:235]), .neg(y[249]), .nan(y[250]), .inf(y[251]));
endmodule
