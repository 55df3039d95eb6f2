package cometstream_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// libraryPackages are the directories an embedding app imports.
var libraryPackages = []string{".", "abci", "events", "streamsvc", "wire", "client", "client/clienttest", "tlsreload"}

// TestPublicAPIUsesExportedTypesOnly reads the library's source and fails
// on an exported function, method, field or type whose signature names an
// unexported type of its package: go doc would show a type the embedder
// can neither name nor look up.
func TestPublicAPIUsesExportedTypesOnly(t *testing.T) {
	for _, dir := range libraryPackages {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range unexportedInAPI(f) {
				t.Errorf("%s: %s names unexported type %s", name, bad.where, bad.ident)
			}
		}
	}
}

type apiLeak struct{ where, ident string }

// unexportedInAPI lists the unexported types named by f's exported API.
func unexportedInAPI(f *ast.File) []apiLeak {
	var out []apiLeak
	check := func(where string, expr ast.Expr, typeParams *ast.FieldList) {
		params := map[string]bool{}
		if typeParams != nil {
			for _, p := range typeParams.List {
				for _, n := range p.Names {
					params[n.Name] = true
				}
			}
		}
		for _, id := range unexportedIdents(expr) {
			if !params[id] {
				out = append(out, apiLeak{where, id})
			}
		}
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || (d.Recv != nil && !exportedRecv(d.Recv)) {
				continue
			}
			var tp *ast.FieldList
			if d.Recv != nil {
				tp = recvTypeParams(d.Recv)
			}
			check("func "+d.Name.Name, d.Type, tp)
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						checkType(s, check)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && s.Type != nil {
							check(n.Name, s.Type, nil)
						}
					}
				}
			}
		}
	}
	return out
}

// checkType checks what go doc shows of an exported type: its exported
// fields and methods, or the type it is defined as.
func checkType(s *ast.TypeSpec, check func(string, ast.Expr, *ast.FieldList)) {
	where := "type " + s.Name.Name
	switch ty := s.Type.(type) {
	case *ast.StructType:
		for _, fld := range ty.Fields.List {
			for _, n := range fld.Names {
				if n.IsExported() {
					check(where+"."+n.Name, fld.Type, s.TypeParams)
				}
			}
		}
	case *ast.InterfaceType:
		for _, m := range ty.Methods.List {
			if len(m.Names) == 0 || m.Names[0].IsExported() {
				check(where, m.Type, s.TypeParams)
			}
		}
	default:
		check(where, s.Type, s.TypeParams)
	}
}

func exportedRecv(recv *ast.FieldList) bool {
	for _, id := range typeNames(recv.List[0].Type) {
		return ast.IsExported(id)
	}
	return false
}

// recvTypeParams turns a generic receiver's parameters (T[K, V]) into a
// field list, so that K and V are not taken for types.
func recvTypeParams(recv *ast.FieldList) *ast.FieldList {
	expr := recv.List[0].Type
	if star, ok := expr.(*ast.StarExpr); ok {
		expr = star.X
	}
	var idx []ast.Expr
	switch e := expr.(type) {
	case *ast.IndexExpr:
		idx = []ast.Expr{e.Index}
	case *ast.IndexListExpr:
		idx = e.Indices
	}
	fl := &ast.FieldList{}
	for _, x := range idx {
		if id, ok := x.(*ast.Ident); ok {
			fl.List = append(fl.List, &ast.Field{Names: []*ast.Ident{id}})
		}
	}
	return fl
}

// typeNames lists the package-local type names expr uses.
func typeNames(expr ast.Expr) []string {
	var out []string
	ast.Inspect(expr, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			return false // another package's name: exported, or it would not compile
		case *ast.Ident:
			out = append(out, n.Name)
		case *ast.Field:
			// A parameter's or field's name is no type: look at its type only.
			if n.Type != nil {
				out = append(out, typeNames(n.Type)...)
			}
			return false
		}
		return true
	})
	return out
}

// predeclared are the universe's types, unexported by spelling only.
var predeclared = map[string]bool{
	"any": true, "bool": true, "byte": true, "comparable": true, "complex64": true, "complex128": true,
	"error": true, "float32": true, "float64": true, "int": true, "int8": true, "int16": true,
	"int32": true, "int64": true, "rune": true, "string": true, "uint": true, "uint8": true,
	"uint16": true, "uint32": true, "uint64": true, "uintptr": true,
}

func unexportedIdents(expr ast.Expr) []string {
	var out []string
	for _, id := range typeNames(expr) {
		if !ast.IsExported(id) && !predeclared[id] && id != "_" {
			out = append(out, id)
		}
	}
	return out
}
