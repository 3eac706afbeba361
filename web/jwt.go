package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// JWTConfig says how access tokens from the auth provider are verified:
// a JWKS URL (RS256, ES256) or a shared HS256 secret, and the issuer and
// audience to require.
type JWTConfig struct {
	JWKSURL   string
	HS256Key  string
	Issuer    string
	Audience  string
	ClockSkew time.Duration
}

// jwtClaims are the claims Roster reads.
type jwtClaims struct {
	jwt.RegisteredClaims
	Email         string `json:"email"`
	EmailVerified *bool  `json:"email_verified"`
	WorkspaceID   string `json:"workspace_id"`
	Mode          string `json:"mode"`
}

// jwtVerifier checks tokens; nil when no provider is configured.
type jwtVerifier struct {
	keyfunc jwt.Keyfunc
	parser  *jwt.Parser
}

// newJWTVerifier builds the verifier, fetching the JWKS when one is set.
func newJWTVerifier(ctx context.Context, cfg JWTConfig) (*jwtVerifier, error) {
	skew := cfg.ClockSkew
	if skew == 0 {
		skew = 60 * time.Second
	}
	opts := []jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithLeeway(skew), jwt.WithIssuedAt()}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	switch {
	case cfg.JWKSURL != "":
		kf, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
		if err != nil {
			return nil, fmt.Errorf("ROSTER_JWT_JWKS_URL: %w", err)
		}
		opts = append(opts, jwt.WithValidMethods([]string{"RS256", "ES256"}))
		return &jwtVerifier{keyfunc: kf.Keyfunc, parser: jwt.NewParser(opts...)}, nil
	case cfg.HS256Key != "":
		key := []byte(cfg.HS256Key)
		opts = append(opts, jwt.WithValidMethods([]string{"HS256"}))
		return &jwtVerifier{keyfunc: func(*jwt.Token) (any, error) { return key, nil }, parser: jwt.NewParser(opts...)}, nil
	default:
		return nil, nil
	}
}

var errNoProvider = errors.New("no JWT provider configured")

// verify checks a token's signature and claims and returns its claims.
func (v *jwtVerifier) verify(token string) (*jwtClaims, error) {
	if v == nil {
		return nil, errNoProvider
	}
	var claims jwtClaims
	if _, err := v.parser.ParseWithClaims(token, &claims, v.keyfunc); err != nil {
		return nil, err
	}
	if claims.Email == "" {
		return nil, errors.New("token has no email claim")
	}
	// The email names the staff member, so an address the provider says it
	// has not verified (anyone can sign up with anyone's) names nobody.
	if claims.EmailVerified != nil && !*claims.EmailVerified {
		return nil, errors.New("token's email is not verified")
	}
	if strings.ContainsRune(claims.Email+claims.WorkspaceID+claims.Mode, 0) {
		return nil, errors.New("token has a claim with the NUL character")
	}
	return &claims, nil
}
